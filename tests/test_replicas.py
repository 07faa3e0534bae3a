"""The hub past one process: `make run REPLICAS=2`, two hub processes behind a real
HAProxy (deploy/replicas.py, deploy/haproxy.cfg.template), with cookie affinity.

Through the proxy: gradio_client uploads a drawing and predicts on one replica; a browser
draws, clicks an example and streams a webcam (a fake camera) into a tab; an MCP call
answers. Then a replica is killed while two clients send requests in a loop: every request
started after HAProxy marks it down succeeds, and the replica, started again by the
launcher, rejoins and gets traffic. `make stop` stops HAProxy and both replicas.

HAProxy itself, in front of a small Python server that echoes what it gets, is checked
for the address it forwards, the body limit and an event stream passed on unbuffered.
Where no haproxy is installed, deploy/replicas.py installs Debian's (as root on Debian),
as `make test` does for Chromium; elsewhere the tests fail saying what to install.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from playwright.sync_api import expect, sync_playwright

from core import ROOT
from core.experiments import BY_ID
from deploy.processes import environment, reserve_port, running, stop_group, wait_until
from deploy.replicas import MAX_BODY, cores, find_haproxy, render, server_states

ONLY = ["digits_recognition_cnn", "rock_paper_scissors_cnn", "numbers_summation_rnn"]
DIGIT = ROOT / "ui" / "examples" / "digits_recognition" / "7.png"
START_S = 900  # two hubs starting at once on a loaded 2-core machine
SLOW_MS = 240_000  # a webcam round or a first answer on a replica, on a loaded machine
DOWN_S = 30  # HAProxy checks every second; a dead replica is out after 2 failed checks


def make_env() -> dict[str, str]:
    """This environment without the outer `make test`'s variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    for name in ["ARGS", "REPLICAS"]:
        env.pop(name, None)
    return env


def drawing(path: Path) -> dict:
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


class BrowserCookies(httpx.Auth):
    """An httpx hook that keeps cookies as a browser keeps them: a Set-Cookie replaces
    the value the client had. gradio_client alone keeps the first value of each cookie
    for good (Client._get_config), so after a failover it goes on naming the dead
    replica, and once that replica is back its requests are split between two replicas
    (the upload or the join on one, the event stream on the other, which knows no such
    session: a bare CancelledError). A browser takes the survivor's cookie and stays."""

    def __init__(self):
        self.jar: dict[str, str] = {}

    def auth_flow(self, request):
        response = yield request
        for name, value in response.cookies.items():
            self.jar[name] = value


def connect(url: str, browser_cookies: bool = False) -> Client:
    """A gradio_client on ``url`` with one SSL context; with ``browser_cookies``, one that
    follows HAProxy's Set-Cookie as a browser does (BrowserCookies)."""
    import ssl

    hook = BrowserCookies() if browser_cookies else None
    client = Client(
        url,
        verbose=False,
        analytics_enabled=False,
        ssl_verify=ssl.create_default_context(),
        httpx_kwargs={"auth": hook} if hook else None,
    )
    if hook:
        hook.jar = client.cookies  # the dict every later request of the client sends
    return client


def connect_to(url: str, replica: str) -> Client:
    """A new client that HAProxy's round robin put on ``replica`` (at most a few tries)."""
    for _ in range(6):
        client = connect(url)
        if client.cookies["hub_replica"] == replica:
            return client
    raise AssertionError(f"six new clients and none was sent to {replica}")


def sessions(run_dir: Path) -> dict[str, int]:
    """Requests HAProxy has sent to each replica so far (health checks not counted)."""
    return {name: int(row["stot"]) for name, row in server_states(run_dir / "haproxy.sock").items()}


def status(run_dir: Path) -> dict[str, str]:
    """HAProxy's status of each replica (UP, DOWN, ...); nothing while it starts."""
    try:
        states = server_states(run_dir / "haproxy.sock")
    except OSError:
        return {}
    return {name: row["status"] for name, row in states.items()}


def both_up(run_dir: Path) -> bool:
    states = status(run_dir)
    return bool(states) and all(state.startswith("UP") for state in states.values())


class ReplicaSet:
    """`make run REPLICAS=2` in its own process group, on a free port."""

    def __init__(self, tmp: Path):
        find_haproxy()  # installs Debian's haproxy where it can, else fails saying what to do
        self.port = reserve_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.run_dir = tmp / "run"
        self.log = tmp / "make-run.log"
        args = f"ARGS=--only {','.join(ONLY)} --mcp --port {self.port} --run-dir {self.run_dir}"
        with self.log.open("wb") as out:
            self.make = subprocess.Popen(
                ["make", "run", "REPLICAS=2", args],
                cwd=ROOT,
                env=make_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        def serving():
            assert self.make.poll() is None, f"make run exited:\n{self.output()[-4000:]}"
            return f"serving on http://127.0.0.1:{self.port}" in self.output()

        wait_until(serving, START_S, "`serving on` line", poll_s=1)

    def pid(self, replica: str) -> int:
        return int((self.run_dir / f"{replica}.pid").read_text())

    def launcher_pid(self) -> int:
        return int((ROOT / ".replicas" / f"{self.port}.pid").read_text())

    def close(self) -> None:
        stop_group(self.make)


@pytest.fixture(scope="module")
def launcher(tmp_path_factory):
    """``launcher()``: the module's `make run REPLICAS=2`, started on first use and again
    whenever a test has stopped it (`make stop`), so no test depends on the others' order."""
    started: list[ReplicaSet] = []

    def serving() -> ReplicaSet:
        if not started or started[-1].make.poll() is not None:
            started.append(ReplicaSet(tmp_path_factory.mktemp("replicas")))
            started[-1].wait_until_serving()
        return started[-1]

    try:
        yield serving
    finally:
        for replica_set in started:
            replica_set.close()


@pytest.fixture
def replicas(launcher):
    """The replica set with both replicas UP in HAProxy: a replica killed by an earlier
    test has been started again by the launcher and taken back."""
    replica_set = launcher()
    wait_until(lambda: both_up(replica_set.run_dir), START_S, "both replicas UP", 1)
    return replica_set


# -- HAProxy's configuration, against a stand-in server that echoes what it gets --------


class Echo(BaseHTTPRequestHandler):
    """Answers every request with 200 and keeps its headers; /stream sends one event, then
    waits until the test has read it before it sends the second and ends."""

    seen: list[dict[str, list[str]]] = []
    first_read = threading.Event()

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        headers: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            headers.setdefault(key.lower(), []).append(value)
        Echo.seen.append(headers)
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: one\n\n")
            self.wfile.flush()
            Echo.first_read.wait(30)
            self.wfile.write(b"data: two\n\n")
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.do_GET()


@pytest.fixture(scope="module")
def proxy_in_front_of_echo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("haproxy")
    echo = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    port = reserve_port()
    config = folder / "haproxy.cfg"
    config.write_text(
        render(
            f"127.0.0.1:{port}",
            [f"127.0.0.1:{echo.server_address[1]}"],
            str(folder / "haproxy.sock"),
        )
    )
    haproxy = subprocess.Popen([find_haproxy(), "-db", "-f", str(config)], stderr=subprocess.PIPE)
    try:
        wait_until(lambda: status(folder).get("r1", "").startswith("UP"), 30, "UP echo server")
        yield port
    finally:
        haproxy.terminate()
        haproxy.wait(10)
        echo.shutdown()


def request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    return connection, connection.getresponse()


def test_haproxy_forwards_the_address_it_sees_not_the_one_claimed(proxy_in_front_of_echo):
    Echo.seen.clear()
    _, response = request(
        proxy_in_front_of_echo, "GET", "/", headers={"X-Forwarded-For": "6.6.6.6"}
    )
    assert response.status == 200
    assert Echo.seen[-1]["x-forwarded-for"] == ["127.0.0.1"]
    # The affinity cookie: set for the browser, never passed on to the hub.
    assert re.match(r"hub_replica=r1;", response.getheader("Set-Cookie"))
    _, response = request(proxy_in_front_of_echo, "GET", "/", headers={"Cookie": "hub_replica=r1"})
    assert "cookie" not in Echo.seen[-1]


def test_haproxy_takes_a_10_mb_upload_and_refuses_a_bigger_body(proxy_in_front_of_echo):
    from gradio.utils import _parse_file_size

    from hub import PUBLIC

    limit = _parse_file_size(PUBLIC["max_file_size"])
    assert limit < MAX_BODY <= limit + 100_000  # the hub's limit plus a multipart form
    _, response = request(proxy_in_front_of_echo, "POST", "/upload", body=b"x" * limit)
    assert response.status == 200
    # Refused on its Content-Length, before any of the body is read.
    connection = http.client.HTTPConnection("127.0.0.1", proxy_in_front_of_echo, timeout=60)
    connection.putrequest("POST", "/upload")
    connection.putheader("Content-Length", str(MAX_BODY + 1))
    connection.endheaders()
    assert connection.getresponse().status == 413


def test_haproxy_passes_an_event_stream_on_as_it_comes(proxy_in_front_of_echo):
    Echo.first_read.clear()
    _, response = request(proxy_in_front_of_echo, "GET", "/stream")
    # The server holds the second event until the first has arrived here: a proxy that
    # buffered the stream would never deliver the first (and the read would time out).
    assert response.readline() == b"data: one\n"
    Echo.first_read.set()
    assert b"data: two" in response.read()


def test_the_config_for_other_machines_passes_haproxys_check(tmp_path):
    config = tmp_path / "haproxy.cfg"
    command = ["-m", "deploy.replicas", "--config", "--servers", "10.0.0.5:7860,10.0.0.6:7860"]
    rendered = subprocess.run(
        [sys.executable, *command, "--host", "0.0.0.0", "--port", "80"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "server r1 10.0.0.5:7860 cookie r1" in rendered
    assert "server r2 10.0.0.6:7860 cookie r2" in rendered
    assert "bind 0.0.0.0:80" in rendered
    config.write_text(rendered.replace("/run/haproxy/hub.sock", str(tmp_path / "s")))
    subprocess.run([find_haproxy(), "-c", "-q", "-f", str(config)], check=True)


def test_dockerfile_follows_hugging_faces_docker_space_conventions():
    """Docker cannot build here (no engine): the file's conventions, read statically."""
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    text = "\n".join(lines)
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert "RUN useradd -m -u 1000 user" in lines
    assert "USER user" in lines
    assert "EXPOSE 7860" in lines
    assert re.search(r"GRADIO_SERVER_NAME=0\.0\.0\.0", text)
    assert re.search(r"GRADIO_SERVER_PORT=7860", text)
    assert 'CMD ["python", "hub.py"]' in lines
    assert re.search(r"^COPY --chown=user \. \.$", text, re.M)  # weights/ included
    assert "pins()" in text  # the Hub pins downloaded at build time
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "weights" not in ignored and ".venv" in ignored and ".git" in ignored


# -- two hub replicas behind HAProxy ---------------------------------------------------


def test_replicas_get_a_share_of_the_cores_and_trust_only_the_proxy(replicas):
    for name in ["r1", "r2"]:
        env = environment(replicas.pid(name))
        assert env["TF_NUM_INTRAOP_THREADS"] == str(max(1, cores() // 2))
        assert env["HUB_TRUSTED_PROXIES"] == "127.0.0.1"
    output = replicas.output()
    assert "haproxy: " in output
    assert re.search(r"replica r2: python hub.py on 127\.0\.0\.1:\d+", output)


def test_gradio_client_uploads_and_predicts_on_one_replica(replicas):
    before = sessions(replicas.run_dir)
    client = connect(replicas.url)
    home = client.cookies["hub_replica"]
    for _ in range(3):
        label = client.predict(drawing(DIGIT), api_name="/digits_recognition_cnn")
        assert label["label"] == "7"
    after = sessions(replicas.run_dir)
    other = "r2" if home == "r1" else "r1"
    assert after[home] - before[home] >= 6  # the uploads and the predictions
    assert after[other] == before[other]
    # The next client is sent to the other replica: both serve.
    assert connect(replicas.url).cookies["hub_replica"] == other


def test_an_mcp_call_answers_through_the_proxy(replicas):
    import asyncio

    from test_mcp import list_and_call

    call = {"numbers_summation_rnn": {"text": "74+83"}}
    tools, answers = asyncio.run(list_and_call(replicas.url, call))
    result = answers["numbers_summation_rnn"]
    assert "numbers_summation_rnn" in {tool.name for tool in tools}
    texts = [part.text for part in result.content if getattr(part, "text", None)]
    assert any("74+83 = 157" in text for text in texts), texts


def small_video(path: Path) -> Path:
    """A 160x120 YUV4MPEG2 video of an example hand, for Chromium's fake camera: small
    frames keep a loaded 2-core machine's browser responsive while it streams."""
    from PIL import Image

    hand = ROOT / "ui" / "examples" / "rock_paper_scissors" / "paper.png"
    y, cb, cr = Image.open(hand).convert("RGB").resize((160, 120)).convert("YCbCr").split()
    frame = b"FRAME\n" + y.tobytes() + cb.resize((80, 60)).tobytes() + cr.resize((80, 60)).tobytes()
    path.write_bytes(b"YUV4MPEG2 W160 H120 F4:1 Ip A1:1 C420jpeg\n" + frame * 4)
    return path


def visit(context, url: str, timeout_ms: float):
    """A page of ``context`` (a browser's cookies) at the hub's ``url``, its tabs there."""
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    page.get_by_role("tab", name="Home").wait_for()
    return page


def test_a_browser_draws_uses_an_example_streams_the_webcam_and_survives_its_replica(
    replicas, tmp_path
):
    from test_browser import (
        ARGS,
        WAIT_MS,
        chromium,
        digit_example,
        digit_one,
        label_output,
        open_tab,
        panel,
        selected,
    )

    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={small_video(tmp_path / 'hand.y4m')}",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=ARGS + camera
        )
        expect.set_options(timeout=WAIT_MS)
        try:
            visitor = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = visit(visitor, replicas.url, WAIT_MS)
            home = next(c["value"] for c in visitor.cookies() if c["name"] == "hub_replica")
            other = "r2" if home == "r1" else "r1"
            before = sessions(replicas.run_dir)
            open_tab(page, BY_ID["digits_recognition_cnn"])
            digit_example(page)
            digit_one(page)
            open_tab(page, BY_ID["rock_paper_scissors_cnn"])
            tab = panel(page)
            tab.get_by_role("button", name="Click to Access Webcam").first.click()
            tab.locator("button:has-text('Record')").first.click()
            for _ in range(2):  # frames after the first, each posted to the replica's stream
                page.wait_for_event("requestfinished", frame_posted, timeout=SLOW_MS)
            tab.get_by_role("button", name=re.compile("^PLAY")).click()
            # The round is played on the streamed frame, held in the session's state on
            # the replica that received the stream: affinity, or "Start the webcam first".
            # (Measured 11-24 s from PLAY on this 2-core machine at load average 16.)
            played = re.compile(r"You: *(rock|paper|scissors)")
            expect(tab).to_contain_text(played, timeout=SLOW_MS)
            expect(page.locator("body")).not_to_contain_text("Start the webcam first")
            after = sessions(replicas.run_dir)
            assert after[other] == before[other]  # the whole visit on one replica
            assert after[home] > before[home]

            # Its replica dies, the webcam still streaming: the page has lost its server.
            # Opened again (same browser, same stale cookie), the hub is served by the other
            # replica, in a new session, and the new cookie keeps the visitor there.
            os.kill(replicas.pid(home), signal.SIGKILL)
            wait_until(lambda: status(replicas.run_dir)[home].startswith("DOWN"), DOWN_S, "DOWN")
            page.close(run_before_unload=False)
            page = visit(visitor, f"{replicas.url}?tab=digits_recognition_cnn", WAIT_MS)
            selected(page, BY_ID["digits_recognition_cnn"].short)
            panel(page).locator(".gallery-item").nth(7).click()  # the example 7.png
            expect(label_output(page)).to_have_text(re.compile(r"^\s*7\s*$"), timeout=SLOW_MS)
            cookies = {c["name"]: c["value"] for c in visitor.cookies()}
            assert cookies["hub_replica"] == other
            assert sessions(replicas.run_dir)[other] > after[other]
        finally:
            browser.close()


def frame_posted(request) -> bool:
    """Whether a finished browser request is a webcam frame sent into a running stream
    (gradio posts every frame after the first to /gradio_api/stream/<event id>)."""
    return "/gradio_api/stream/" in request.url and request.method == "POST"


def test_a_dead_replica_is_taken_out_and_rejoins(replicas):
    """Two clients loop requests; the replica of the first is killed (SIGKILL). Requests
    that were on it may fail; every one started after HAProxy marked it down succeeds,
    and the first client, keeping cookies as a browser does, stays on the survivor. The
    launcher starts the dead one again on its port, HAProxy takes it back, and a new
    client sent there is answered, while both looping clients go on being answered."""
    clients = [connect(replicas.url, browser_cookies=True) for _ in range(2)]
    assert {c.cookies["hub_replica"] for c in clients} == {"r1", "r2"}
    victim = clients[0].cookies["hub_replica"]
    survivor = clients[1].cookies["hub_replica"]
    results: list[tuple[float, float, str | None]] = []  # start, end, error
    stop = threading.Event()

    def loop(client: Client) -> None:
        while not stop.is_set():
            start = time.monotonic()
            try:
                label = client.predict(drawing(DIGIT), api_name="/digits_recognition_cnn")
                error = None if label["label"] == "7" else f"wrong label {label}"
            except Exception as exc:  # noqa: BLE001 (every failure is counted)
                error = f"{type(exc).__name__}: {exc}"
            results.append((start, time.monotonic(), error))

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(results) >= 4, 120, "requests before the kill")
        old_pid = replicas.pid(victim)
        killed = time.monotonic()
        os.kill(old_pid, signal.SIGKILL)
        wait_until(
            lambda: status(replicas.run_dir).get(victim, "").startswith("DOWN"), DOWN_S, "DOWN"
        )
        down = time.monotonic()
        print(f"{victim} marked down {down - killed:.1f} s after the kill")
        # The launcher starts it again; HAProxy takes it back after its checks pass.
        wait_until(lambda: replicas.pid(victim) != old_pid, 60, "restart")
        wait_until(
            lambda: status(replicas.run_dir).get(victim, "").startswith("UP"), START_S, "UP again"
        )
        up = time.monotonic()
        served = sessions(replicas.run_dir)[victim]
        newcomer = connect_to(replicas.url, victim)
        for _ in range(3):
            label = newcomer.predict(drawing(DIGIT), api_name="/digits_recognition_cnn")
            assert label["label"] == "7"
        assert sessions(replicas.run_dir)[victim] >= served + 6  # uploads and predictions
        back = time.monotonic()
        wait_until(lambda: sum(1 for r in results if r[0] > back) >= 4, 120, "requests after")
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    after_down = [r for r in results if r[0] > down]
    failed = [r for r in after_down if r[2]]
    print(
        f"{len(results)} requests, {sum(1 for r in results if r[2])} failed; "
        f"{len(after_down)} started after DOWN, {len(failed)} failed; "
        f"{sum(1 for r in results if down < r[0] < up)} while it was down"
    )
    # when each failure started and ended, in seconds after DOWN (UP again at up - down)
    timeline = [(round(s - down, 3), round(e - down, 3), error) for s, e, error in failed]
    assert not failed, f"UP again {up - down:.1f} s after DOWN; failures: {timeline}"
    assert any(down < start < up for start, _, _ in results)  # served while it was down
    assert clients[0].cookies["hub_replica"] == survivor  # moved, as a browser moves
    assert "starting it again" in replicas.output()


def test_make_stop_stops_haproxy_and_every_replica(replicas):
    pids = [replicas.pid("r1"), replicas.pid("r2"), replicas.launcher_pid()]
    haproxy = re.search(r"haproxy: \S+haproxy.cfg \(pid (\d+)\)", replicas.output())
    pids.append(int(haproxy[1]))
    done = subprocess.run(["make", "-s", "stop"], cwd=ROOT, env=make_env(), capture_output=True)
    assert done.returncode == 0, done.stderr
    assert f"stopped the replicas on port {replicas.port}" in done.stdout.decode()

    def all_gone() -> bool:
        return not any(running(pid) for pid in pids)

    wait_until(all_gone, 60, "exit of HAProxy, the replicas and the launcher")
    replicas.make.wait(30)
    assert "stopped HAProxy and every replica" in replicas.output()
