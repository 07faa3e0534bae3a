"""One bounded worker for every webcam stream's inference (issue 28).

Each visitor's stream hands its newest frame to the worker and waits for the answer. The
worker's threads take the waiting frames in turn, one per live stream (round-robin: the
stream that has waited longest goes first), so N visitors share it fairly; a stream has
at most one frame waiting, and a newer frame takes its place (the older one is answered
``STALE`` at once): no frame waits behind a stale one. The threads are the worker's share
of the cores (HUB_STREAM_THREADS, default all cores but one), so API requests and the
other tabs always keep a core, however many visitors stream. On Linux the threads can
also run at a lower priority (HUB_STREAM_NICE nice levels below the hub; default 0): a
request to another tab that needs the worker's core then gets it first. Off by default:
at 10, on a core shared with other busy processes, the streams were starved (0 answers
in 30 s, bench.webcam --pin on a loaded machine).

The model is loaded (``load``) when the first frame comes, not at start-up: memory (tens
of MB for the Objects stream model) that a hub nobody streams to does not need, and the
hub's start-up does not wait for it. The first stream's first answer waits for it.

The worker also counts what each stream gets: ``sharing`` says how many streams are live
and how many frames a second each was answered, for the visitor's page.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable

STALE = object()  # the answer to a frame that a newer frame of its stream replaced
LIVE = 3.0  # seconds after its last frame that a stream still counts as live
WINDOW = 3.0  # seconds over which each stream's answers per second are counted


def default_threads() -> int:
    """HUB_STREAM_THREADS, else all cores but one (at least one)."""
    setting = os.environ.get("HUB_STREAM_THREADS")
    return max(1, int(setting) if setting else (os.cpu_count() or 2) - 1)


def default_nice() -> int:
    """HUB_STREAM_NICE: how much lower than the hub's the worker threads' priority is."""
    return int(os.environ.get("HUB_STREAM_NICE", "0"))


def lower_priority(nice: int) -> None:
    """The calling thread's priority lowered by ``nice`` (Linux: each thread has its own;
    elsewhere the whole process would change, so nothing is done there)."""
    if nice > 0 and sys.platform.startswith("linux"):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)


class _Job:
    def __init__(self, stream: Hashable, frame):
        self.stream, self.frame = stream, frame
        self.done = threading.Event()
        self.answer, self.error = None, None


class StreamWorker:
    """``answer(stream, frame)`` runs ``run(frame)`` on one of ``threads`` worker threads
    (started on first use, ``nice`` lower in priority) and returns its result, or STALE if
    a newer frame of the same stream came first; ``run``'s exception is raised in the
    caller. ``run`` is what ``load()`` returns, called once, by the first worker thread,
    when the first frame comes."""

    def __init__(
        self, load: Callable[[], Callable], threads: int | None = None, nice: int | None = None
    ):
        self.threads = threads or default_threads()
        self.nice = default_nice() if nice is None else nice
        self._load = load
        self._run: Callable | None = None
        self._load_error: Exception | None = None
        self._loading = threading.Lock()
        self._waiting: collections.OrderedDict[Hashable, _Job] = collections.OrderedDict()
        self._ready = threading.Condition()
        self._answered: dict[Hashable, collections.deque] = {}
        self._seen: dict[Hashable, float] = {}
        self._started = False

    def answer(self, stream: Hashable, frame):
        job = _Job(stream, frame)
        with self._ready:
            self._start()
            self._seen[stream] = time.monotonic()
            older = self._waiting.get(stream)
            if older is not None:  # the newer frame takes its place in the turn
                older.answer = STALE
                older.done.set()
            self._waiting[stream] = job  # a new stream: at the end, after the others
            self._ready.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.answer

    def sharing(self, stream: Hashable) -> tuple[int, float]:
        """(live streams, answers per second ``stream`` got over the last WINDOW s)."""
        now = time.monotonic()
        with self._ready:
            for other, seen in list(self._seen.items()):
                if now - seen > LIVE:
                    del self._seen[other]
                    self._answered.pop(other, None)
            times = self._answered.get(stream, ())
            recent = [t for t in times if now - t <= WINDOW]
            return len(self._seen), len(recent) / WINDOW

    def run(self, frame):
        with self._loading:  # the first call loads; the others wait for it
            if self._run is None and self._load_error is None:
                try:
                    self._run = self._load()
                except Exception as error:  # noqa: BLE001 - every frame's caller gets it
                    self._load_error = error
        if self._load_error is not None:
            raise self._load_error
        return self._run(frame)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            for index in range(self.threads):
                name = f"stream-worker-{index}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self) -> None:
        lower_priority(self.nice)
        while True:
            with self._ready:
                while not self._waiting:
                    self._ready.wait()
                _, job = self._waiting.popitem(last=False)
            try:
                job.answer = self.run(job.frame)
            except Exception as error:  # noqa: BLE001 - handed to the stream's caller
                job.error = error
            with self._ready:
                answered = self._answered.setdefault(job.stream, collections.deque(maxlen=64))
                answered.append(time.monotonic())
            job.done.set()


def sharing_note(streams: int, per_second: float) -> str:
    """What a visitor's page says when streams share the worker ('' when alone)."""
    if streams <= 1:
        return ""
    return f"{streams} visitors share the camera model: {per_second:.0f} frames/s each"
