"""What many tests share: starting a hub like a Space and waiting for it, a smoke training
run, and the raw requests a browser sends (queue/join, its SSE stream, cancel)."""

import os
import sys
from pathlib import Path

import pytest

from core import ROOT


def wait_for_client(process, url: str, timeout: float = 240):
    """A gradio_client Client of the hub that ``process`` (``python hub.py``, its output
    piped) is starting at ``url``; the test fails with the hub's output if it exits, or
    if it does not serve within ``timeout`` seconds (importing gradio + TensorFlow on a
    busy 2-core machine)."""
    from gradio_client import Client

    from deploy.processes import wait_until

    def client():
        try:
            return Client(url, verbose=False, analytics_enabled=False)
        except Exception:  # not serving yet
            return None

    try:
        return wait_until(client, timeout, f"hub serving {url}", 1, process)
    except AssertionError as error:
        output = process.stdout.read() if process.poll() is not None else ""
        pytest.fail(f"{error}\n{output}")


def smoke_train(experiment_id: str, out: Path) -> Path:
    """Run ``python -m training.<id> --smoke`` (one epoch on tiny data) into ``out``."""
    import subprocess

    command = [sys.executable, "-m", f"training.{experiment_id}", "--smoke", "--epochs", "1"]
    subprocess.run([*command, "--out", str(out)], cwd=ROOT, check=True, capture_output=True)
    return out


def post(url: str, path: str, body: bytes, headers: dict | None = None) -> tuple[int, str]:
    """(status, body text) of a POST to the hub at ``url``, JSON unless ``headers`` say
    otherwise: the requests a visitor's browser (or a hostile script) sends."""
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url.rstrip("/") + path, body, headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def join(url: str, fn_index: int, data: list, session: str, headers=None) -> tuple[int, str]:
    """queue/join as the browser sends it: (status, body)."""
    import json

    body = json.dumps({"data": data, "fn_index": fn_index, "session_hash": session})
    return post(url, "/gradio_api/queue/join", body.encode(), headers)


def messages(url: str, session: str):
    """Every message of the session's SSE stream (queue/data), as it comes."""
    import json
    import urllib.request

    with urllib.request.urlopen(
        f"{url.rstrip('/')}/gradio_api/queue/data?session_hash={session}", timeout=300
    ) as stream:
        for line in stream:
            if line.startswith(b"data:"):
                yield json.loads(line[5:])


def completed(url: str, session: str, count: int = 1) -> list[dict]:
    """The session's next ``count`` process_completed messages (its SSE stream)."""
    found = []
    for message in messages(url, session):
        if message.get("msg") == "process_completed":
            found.append(message)
            if len(found) == count:
                return found
    raise AssertionError(f"only {len(found)} of {count} events completed")


def cancel(url: str, fn_index: int, joined: list[tuple[str, int, str]]) -> None:
    """Cancel queued or running jobs: ``joined`` holds (session, status, body) of each
    queue/join; those accepted (200) are cancelled as the page's Stop button does."""
    import json

    for session, status, text in joined:
        if status == 200:
            event = json.loads(text)["event_id"]
            body = {"session_hash": session, "fn_index": fn_index, "event_id": event}
            post(url, "/gradio_api/cancel", json.dumps(body).encode())


def queue_size(url: str) -> int:
    """How many jobs wait in the hub's queue (gradio's /queue/status)."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url.rstrip('/')}/gradio_api/queue/status", timeout=30) as r:
        return json.loads(r.read())["queue_size"]


def start_like_a_space(command: list[str], port: int, cwd=ROOT, space_id="me/hub", **env):
    """``command`` (a Python running the hub) started as a Hugging Face Space starts its
    app: SYSTEM=spaces, SPACE_ID, GRADIO_SERVER_NAME/PORT, plus ``env``; its output piped
    (``wait_for_client`` shows it if it exits), in a process group of its own."""
    import subprocess

    space = {
        "SYSTEM": "spaces",
        "SPACE_ID": space_id,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
    }
    return subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **space, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
