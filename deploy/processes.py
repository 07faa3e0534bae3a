"""Process plumbing shared by the launcher (deploy/replicas.py), the benches (bench/) and
the tests (tests/): a port for a server that cannot bind port 0 itself, a wait on
something observable, stopping a process group, and what /proc says of a process.

It lives in deploy/ because deploy.replicas is served code that needs it and may import
nothing from bench/ or tests/; bench/ and tests/ both import deploy already. Standard
library only (psutil would cover /proc, but nothing else here needs a new dependency).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path


def reserve_port(host: str = "127.0.0.1") -> int:
    """A port that a server about to start on ``host`` can bind, for servers that cannot
    bind port 0 and report it (gradio checks its port first; HAProxy reads it from its
    configuration). The kernel picks the port; a connection to it is made and closed from
    the server side, which leaves the port in TIME_WAIT for about a minute: the kernel does
    not hand it to another process asking for port 0 in that time, while a server binding
    it by number with SO_REUSEADDR (uvicorn, gradio, HAProxy) gets it at once. (A port
    found by binding and closing alone is free for anyone until the server takes it.)"""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        address = listener.getsockname()
        with socket.create_connection(address):
            accepted, _ = listener.accept()
            accepted.close()  # the server side closes first: its end is in TIME_WAIT
        return address[1]


def wait_until(condition, timeout_s: float, what: str, poll_s: float = 0.2, process=None):
    """The first true value of ``condition()``, polled every ``poll_s`` seconds; an
    AssertionError saying ``what`` was awaited after ``timeout_s`` seconds, or as soon as
    ``process`` (a Popen, if given) has exited. ``condition`` may raise OSError (a server
    that does not answer yet): that counts as false."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"no {what}: the process exited ({process.returncode})")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout_s} s")
        time.sleep(poll_s)


def answers(url: str, timeout_s: float = 5) -> bool:
    """Whether an HTTP GET of ``url`` gets a 2xx or 3xx answer."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
            return True
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


def hub_answers(url: str) -> bool:
    """Whether the hub at ``url`` answers its /ping endpoint through gradio_client."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, analytics_enabled=False)
        return client.predict(api_name="/ping") == "pong"
    except Exception:  # not serving yet: refused, reset, or gradio_client's own errors
        return False


def stop_group(process: subprocess.Popen, timeout_s: float = 30) -> None:
    """Stop ``process`` and every process of its group (one started with
    ``start_new_session=True``: make, its shell, a hub and its children): SIGTERM, then
    SIGKILL after ``timeout_s`` seconds; waits for it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout_s)
            return
        except subprocess.TimeoutExpired:
            continue
    process.wait(timeout_s)


def stop(process: subprocess.Popen, timeout_s: float = 30) -> None:
    """Stop one process (not its group): SIGTERM, then SIGKILL after ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ----------------------------------------------------------------------------- /proc


def status_mb(pid: int | str, field: str = "VmRSS") -> float:
    """A memory field of /proc/<pid>/status (VmRSS, VmHWM, ...) in MB; ``pid`` may be
    "self"."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) / 1024


def reset_peak(pid: int | str) -> None:
    """Set the process's peak resident memory (VmHWM) to its resident memory now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def children(pid: int) -> list[int]:
    """The direct children of ``pid``."""
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in listed.read_text().split()] if listed.exists() else []


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    return status_mb(pid) + sum(tree_rss_mb(child) for child in children(pid))


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (field 3, the state, comes first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def command_line(pid: int) -> str:
    """The process's command line, its arguments joined by spaces ("" if it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def environment(pid: int) -> dict[str, str]:
    """The environment the process was started with."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)
