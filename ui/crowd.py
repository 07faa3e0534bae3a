"""Many visitors at once: who may join the queue, how slow a webcam stream may be, and
what a visitor is told. Plain Python: ui/gradio_private.py feeds it gradio's queue."""

from __future__ import annotations

import html
import os
import tempfile
import time
from collections import deque
from pathlib import Path

STREAMS_PER_ADDRESS = 2  # webcam streams of one tab, waiting or running, per address
# A webcam stream ends when its frames come slower than one a second: the waits for its
# last STREAM_WINDOW frames (the next one's included) may add up to STREAM_WINDOW s.
STREAM_WINDOW = 3


def waiting_message(limit: int) -> str:
    return (
        f"Too many requests waiting: you already have {limit} in the queue. Wait for one "
        "of them to finish, then send the next."
    )


def address_message(limit: int) -> str:
    return (
        f"Too many requests waiting from your address: {limit} are in the queue (the "
        "limit per address, shared by everyone behind it). Wait for one of them to "
        "finish, then send the next."
    )


def new_sessions_message(per_minute: int) -> str:
    return (
        f"Too many new sessions from your address: the limit is {per_minute} a minute, "
        "shared by everyone behind it. Reuse your session, or try again in a minute."
    )


def streams_message() -> str:
    return (
        f"Too many webcam streams from your address on this tab: the limit is "
        f"{STREAMS_PER_ADDRESS}, shared by everyone behind it. Stop one, then start again."
    )


def unknown_fn_index(fn_index) -> str:
    return (
        f"There is no event with fn_index {fn_index}: the events are listed in /config "
        "(dependencies), the endpoints at /gradio_api/info."
    )


class NewSessions:
    """Sessions first seen per address: ``allows(address, session)`` is False for a
    session new to the hub from an address that began ``per_minute`` others in the last
    minute. Sessions unseen for an hour are forgotten (then new again)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.last_seen: dict[str, float] = {}  # session -> time
        self.begun: dict[str, list[float]] = {}  # address -> times its sessions began

    def allows(self, address: str, session) -> bool:
        now = time.monotonic()
        if session in self.last_seen:
            self.last_seen[session] = now
            return True
        recent = [t for t in self.begun.get(address, []) if now - t < 60]
        self.begun[address] = recent
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        self.last_seen[session] = now
        if len(self.last_seen) > 10_000:  # forget the idle ones, now and then
            self.last_seen = {s: t for s, t in self.last_seen.items() if now - t < 3600}
        return True


class Admission:
    """Who may join the queue: ``refusal(client, waiting, streams)`` says why a request
    from ``client`` (address, session) is refused, or None. ``waiting``: the clients of
    the requests already waiting; ``streams``: those of this webcam stream's requests,
    waiting or running (None for an event that is not a stream)."""

    def __init__(self, per_session: int, per_address: int, sessions_per_minute: int):
        self.per_session = per_session
        self.per_address = per_address
        self.sessions = NewSessions(sessions_per_minute)

    def refusal(self, client: tuple, waiting: list, streams: list | None) -> str | None:
        address = client[0]
        if not self.sessions.allows(*client):
            return new_sessions_message(self.sessions.per_minute)
        if streams is not None and [c[0] for c in streams].count(address) >= STREAMS_PER_ADDRESS:
            return streams_message()
        if [c[0] for c in waiting].count(address) >= self.per_address:
            return address_message(self.per_address)
        if waiting.count(client) >= self.per_session:
            return waiting_message(self.per_session)
        return None


class StreamPace:
    """How long a webcam stream may wait for its next frame: at most ``idle`` s, and no
    longer than keeps its frames at one a second or faster over its last STREAM_WINDOW
    waits (``wait_for`` before a wait, ``waited`` after one that got a frame). Only the
    waits count, not the time its frames take to answer. A browser sends 4 frames a
    second; a client that sends one every 1.5 s is ended within 5 s of its first."""

    def __init__(self, idle: float):
        self.idle = idle
        self.waits: deque[float] = deque(maxlen=STREAM_WINDOW - 1)

    def wait_for(self) -> float:
        return max(0.0, min(self.idle, STREAM_WINDOW - sum(self.waits)))

    def waited(self, seconds: float) -> None:
        self.waits.append(seconds)


def _server_folders() -> list[str]:
    from ui.gradio_private import get_upload_folder

    here = str(Path(__file__).resolve().parents[1])
    folders = {os.getcwd(), here, tempfile.gettempdir(), str(get_upload_folder())}
    return sorted((f for f in folders if len(f) > 1), key=len, reverse=True)


def safe_text(message: str) -> str:
    """``message`` HTML-escaped (gradio's popup renders HTML), each server folder in it
    replaced by "…"."""
    for folder in _server_folders():
        message = message.replace(folder, "…")
    return html.escape(message, quote=False)
