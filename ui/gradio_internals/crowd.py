"""Many visitors at once: a queue fair by address and session, idle streams ended."""

from __future__ import annotations

import inspect
import time

from ui.gradio_internals.blobs import cap_editor_blobs
from ui.gradio_internals.outputs import complete_output_files, safe_messages
from ui.guards import visitor_of


def serve_a_crowd(
    app, max_waiting: int, stream_idle: float, per_address: int, sessions_per_minute: int
):
    """``app`` (the root Blocks, its queue set up), made for many visitors at once:

    - a fair queue: one visitor's address has at most ``per_address`` requests waiting,
      one session inside it at most ``max_waiting``; one more is refused at once with a
      message that says so (HTTP 503), and the other visitors are still served. The
      global bound (``queue(max_size=...)``) stays. The address is the direct peer's or,
      for a request whose direct peer is a trusted proxy, the address that proxy
      appended to X-Forwarded-For (ui/guards.py, ``visitor_address``). An address may
      begin ``sessions_per_minute`` new sessions a minute, and run STREAMS_PER_ADDRESS
      webcam streams per tab (HTTP 503 past either);
    - a webcam stream that sends no frame for ``stream_idle`` seconds ends and frees its
      slot (gradio waits up to the stream's whole time limit for the next frame);
    - every message a visitor sees is HTML-escaped and names no folder of the server;
    - sketchpad blobs (``accept_blobs``) are capped and expire (``cap_editor_blobs``);
    - two visitors given the same picture at once both download all of it
      (``complete_output_files``).
    """
    fair_queue(app, max_waiting, per_address, sessions_per_minute)
    end_idle_streams(stream_idle)
    safe_messages(app)
    cap_editor_blobs()
    complete_output_files()
    return app


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


def new_sessions_message(per_minute: int) -> str:
    return (
        f"Too many new sessions from your address: the limit is {per_minute} a minute, "
        "shared by everyone behind it. Reuse your session, or try again in a minute."
    )


STREAMS_PER_ADDRESS = 2  # webcam streams of one tab, waiting or running, per address


def streams_message() -> str:
    return (
        f"Too many webcam streams from your address on this tab: the limit is "
        f"{STREAMS_PER_ADDRESS}, shared by everyone behind it. Stop one, then start again."
    )


def _address(event) -> str | None:
    tag = getattr(event, "hub_client", None)
    return tag[0] if tag else None


def fair_queue(app, per_session: int, per_address: int, sessions_per_minute: int):
    """Wrap ``app._queue.push`` (gradio's Queue): see ``serve_a_crowd``. Each queued
    event is tagged with its (address, session) in ``hub_client``."""
    queue = app._queue
    plain = queue.push
    sessions = NewSessions(sessions_per_minute)

    async def push(body, request, username):
        if body.fn_index is not None and body.fn_index not in app.fns:  # gradio: a KeyError
            return False, unknown_fn_index(body.fn_index), "error"  # HTTP 400
        client = (visitor_of(request), getattr(body, "session_hash", None))
        if request is not None and request.headers.get("x-gradio-user") == "mcp":
            # gradio's MCP server: one gradio_client session for every MCP caller; the
            # caller's own MCP session (its header, relayed) is the session here.
            client = (client[0], "mcp " + request.headers.get("mcp-session-id", client[0]))
        if not sessions.allows(*client):
            return False, new_sessions_message(sessions_per_minute), "queue_full"
        queued = [
            event
            for event_queue in list(queue.event_queue_per_concurrency_id.values())
            for event in list(event_queue.queue)
        ]
        fn = app.fns.get(body.fn_index) if body.fn_index is not None else None
        if fn is not None and fn.connection == "stream":  # a webcam stream: running too
            running = [event for job in list(queue.active_jobs) if job for event in job]
            streams = [e for e in queued + running if e.fn is fn]
            if sum(_address(e) == client[0] for e in streams) >= STREAMS_PER_ADDRESS:
                return False, streams_message(), "queue_full"
        waiting = [getattr(event, "hub_client", None) for event in queued]
        if sum(tag is not None and tag[0] == client[0] for tag in waiting) >= per_address:
            return False, address_message(per_address), "queue_full"
        if waiting.count(client) >= per_session:
            return False, waiting_message(per_session), "queue_full"
        success, event_id, state = await plain(body, request, username)
        event = queue.event_ids_to_events.get(event_id) if success else None
        if event is not None:
            event.hub_client = client
        return success, event_id, state

    queue.push = push
    queue.hub_max_waiting = per_session
    return app


def end_idle_streams(idle: float) -> None:
    """gradio's ``Queue.wait_for_batch`` (the wait for a stream's next frame), capped at
    ``idle`` seconds: a stream that sends nothing that long is closed (the page gets the
    stream's end, the slot is freed). Process-wide: one class, one patch."""
    from gradio.queueing import Queue

    plain = inspect.getattr_static(Queue, "wait_for_batch")
    plain = getattr(plain, "__wrapped_plain__", plain)
    if not isinstance(plain, staticmethod):
        return
    wait = plain.__func__

    async def wait_for_batch(events, timeouts):
        return await wait(events, [min(timeout, idle) for timeout in timeouts])

    patched = staticmethod(wait_for_batch)
    patched.__wrapped_plain__ = plain
    Queue.wait_for_batch = patched
