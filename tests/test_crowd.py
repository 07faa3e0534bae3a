"""The hub shared by a crowd, some of them hostile (issue 20): every visitor's webcam
stream runs at once, one client cannot fill the queue for everybody, and the holes that
let a request open a server file or blow up the server's memory stay closed. Each
hostile request is sent over HTTP as a visitor would send it, to a hub served by its own
process (``python hub.py``), whose peak memory (VmHWM) is read from /proc.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import gradio as gr
import httpx
import pytest

from core import ROOT
from deploy.processes import reset_peak, status_mb, wait_until
from helpers import cancel, completed, join, messages, queue_size

SERVER_IMAGE = ROOT / "weights" / "digits_recognition_cnn" / "confusion_matrix.png"
SERVED = [
    "digits_recognition_cnn",
    "image_classification",
    "numbers_summation_rnn",
    "objects_detection",
    "text_generation_shakespeare_rnn",
]
PROXY = "127.0.0.1"  # the test itself plays the trusted proxy (HUB_TRUSTED_PROXIES)
MB = 1024 * 1024


# ----------------------------------------------------------------------------- helpers


def run(url: str, fn_index: int, data: list, session: str | None = None) -> dict:
    session = session or uuid.uuid4().hex
    status, text = join(url, fn_index, data, session)
    assert status == 200, text
    return completed(url, session)[0]


def config(url: str) -> dict:
    return json.loads(urllib.request.urlopen(f"{url.rstrip('/')}/config", timeout=60).read())


def event(url: str, api_name: str) -> int:
    return next(d["id"] for d in config(url)["dependencies"] if d.get("api_name") == api_name)


def component(url: str, api_name: str, kind: str) -> int:
    """The id of the first ``kind`` input of the event named ``api_name``."""
    found = config(url)
    dependency = next(d for d in found["dependencies"] if d.get("api_name") == api_name)
    types = {c["id"]: c["type"] for c in found["components"]}
    return next(i for i in dependency["inputs"] if types[i] == kind)


def png(path: Path, side: int) -> Path:
    """A white side x side 1-bit PNG, written row by row (a few hundred KB)."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


class PeakMemory:
    """``with PeakMemory(pid) as memory: ...; memory.growth``: how far the process's peak
    resident memory rose above its resident memory at the start, in MB."""

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        reset_peak(self.pid)  # VmHWM := VmRSS
        self.before = status_mb(self.pid, "VmRSS")
        return self

    def __exit__(self, *exc):
        self.growth = status_mb(self.pid, "VmHWM") - self.before


def blob(url: str, session: str, component_id: int, blob_id: str, data: bytes, **fields):
    """POST one editor blob to gr.ImageEditor.accept_blobs as the browser does:
    (status, body text)."""
    values = {
        "session_hash": session,
        "component_id": str(component_id),
        "fn_name": "accept_blobs",
        "type": "composite",
        "index": "null",
        "id": blob_id,
        **fields,
    }
    answer = httpx.post(
        f"{url.rstrip('/')}/gradio_api/component_server/",
        data=values,
        files={"file": ("blob", data, "image/png")},
        timeout=120,
    )
    return answer.status_code, answer.text


@pytest.fixture(scope="module")
def server():
    """``python hub.py --only SERVED`` in its own process, with this test as its trusted
    proxy: (process, url)."""
    from bench.common import start_server, stop

    host = ["--host", "127.0.0.1"]
    process, url, _ = start_server(
        lambda port: ["hub.py", *host, "--port", str(port), "--only", ",".join(SERVED)],
        {"HUB_TRUSTED_PROXIES": PROXY},
    )
    yield process, url
    stop(process)


# --------------------------------------------------------------- the holes, over HTTP


def image_examples(app) -> list[tuple]:
    """(example event, the event that reads the image it fills, that image) for every tab
    whose examples fill an image input (a photo or a drawing)."""
    found = []
    for fn in app.fns.values():
        filled = [b for b in fn.outputs if getattr(b, "guarded_images", None)]
        if not filled or not any(isinstance(b, gr.Dataset) for b in fn.inputs):
            continue
        readers = [
            other
            for other in app.fns.values()
            if other is not fn and any(b is filled[0] for b in other.inputs)
        ]
        found.append((fn, readers[0], filled[0]))
    return found


def hostile(reader, image) -> list:
    """The reader's inputs, with a bare path to a file on the server for ``image``."""
    path = {"path": str(SERVER_IMAGE)}
    values = []
    for block in reader.inputs:
        if block is image:
            drawing = {"background": None, "layers": [], "composite": path}
            values.append(drawing if isinstance(image, gr.ImageEditor) else path)
        elif isinstance(block, gr.State):
            values.append(None)
        else:
            values.append(getattr(block, "value", None))
    return values


def test_an_example_click_leaves_the_image_guarded(hub_app, hub_url):
    """Clicking an example makes gradio build the session its own copy of the image input
    (the example's value is an update); a server path sent next in that session is still
    refused, on every tab whose examples fill an image."""
    cases = image_examples(hub_app)
    assert len(cases) >= 8, [fn.name for fn, _, _ in cases]  # 4 drawing, 4 photo tabs + DCGAN
    for example, reader, image in cases:
        session = uuid.uuid4().hex
        loaded = run(hub_url, example._id, [0], session)
        assert loaded["success"], loaded
        answer = run(hub_url, reader._id, hostile(reader, image), session)
        assert answer["success"] is False, f"{reader.name} after {example.name}: {answer}"
        # gradio refuses a drawing's bare path itself ("meta"); a photo's reaches the guard
        assert re.search(r"not uploaded|meta", answer["output"]["error"]), answer


def test_a_data_url_with_two_commas_is_read_as_gradio_reads_it(server, tmp_path):
    """The guard cuts a data: URL after the LAST comma, as gradio's decoder does: a
    144-megapixel PNG behind "base64,x," is refused from its header, memory flat."""
    process, url = server
    huge = base64.b64encode(png(tmp_path / "huge.png", 12_000).read_bytes()).decode()
    value = {"path": None, "url": f"data:image/png;base64,x,{huge}"}
    with PeakMemory(process.pid) as memory:
        answer = run(url, event(url, "image_classification"), [value])
    assert answer["success"] is False
    assert "too large: 144 megapixels" in answer["output"]["error"], answer
    assert memory.growth < 300, f"the server's peak memory grew by {memory.growth:.0f} MB"


def test_a_blob_stored_under_an_empty_id_is_checked(server, tmp_path):
    process, url = server
    session = uuid.uuid4().hex
    pad = component(url, "digits_recognition_cnn", "imageeditor")
    drawing = png(tmp_path / "huge.png", 8_000).read_bytes()  # 64 megapixels
    status, text = blob(url, session, pad, "", drawing)
    assert status == 200, text
    value = {"id": "", "background": None, "layers": [], "composite": None}
    with PeakMemory(process.pid) as memory:
        answer = run(url, event(url, "digits_recognition_cnn"), [value], session)
    assert answer["success"] is False
    assert "too large: 64 megapixels" in answer["output"]["error"], answer
    assert memory.growth < 300, f"the server's peak memory grew by {memory.growth:.0f} MB"
    # The refused blob was dropped: the same id now names nothing to decode.
    again = run(url, event(url, "digits_recognition_cnn"), [value], session)
    assert "too large" not in str(again.get("output")), again


def test_the_same_answer_twice_at_once_never_rewrites_a_file_being_downloaded(tmp_path):
    """Two visitors given the same picture at once (a GAN's default seed, an example):
    gradio saves both answers under one name, a hash of the picture's bytes, and used to
    rewrite the file in place, so the first visitor's download could come back empty (CI
    saw "peer closed connection without sending complete message body"). The second save
    must leave the file alone (ui.gradio_private.complete_output_files)."""
    from gradio import processing_utils
    from PIL import Image

    from ui.gradio_private import complete_output_files

    complete_output_files()  # as build_hub does
    picture = Image.new("RGB", (64, 64), "teal")
    path = Path(processing_utils.save_pil_to_cache(picture, str(tmp_path)))
    size = path.stat().st_size
    os.utime(path, ns=(10**18, 10**18))  # a mark: any rewrite moves the file's mtime
    with open(path, "rb") as download:  # the first visitor's download, under way
        again = processing_utils.save_pil_to_cache(picture, str(tmp_path))
        assert again == str(path)
        assert path.stat().st_mtime_ns == 10**18, "the file was rewritten"
        assert len(download.read()) == size
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_a_huge_blob_index_is_refused(server):
    process, url = server
    pad = component(url, "digits_recognition_cnn", "imageeditor")
    tiny = (ROOT / "ui" / "examples" / "digits_recognition" / "3.png").read_bytes()
    with PeakMemory(process.pid) as memory:
        status, text = blob(url, uuid.uuid4().hex, pad, "x", tiny, type="layer", index="100000000")
    assert status != 200 and "layer index must be in" in text, (status, text)
    assert memory.growth < 100, f"the server's peak memory grew by {memory.growth:.0f} MB"
    status, text = blob(url, uuid.uuid4().hex, pad, "y", tiny, type="layer", index="0")
    assert status == 200, text  # a real drawing's layer still goes in


def test_blobs_per_session_are_capped(server):
    from ui.blobs import BLOB_BYTES_PER_SESSION

    _, url = server
    pad = component(url, "digits_recognition_cnn", "imageeditor")
    session, chunk = uuid.uuid4().hex, b"\0" * (8 * MB)
    answers = [
        blob(url, session, pad, f"b{i}", chunk)[0]
        for i in range(BLOB_BYTES_PER_SESSION // len(chunk) + 1)
    ]
    assert answers[:-1] == [200] * (len(answers) - 1) and answers[-1] != 200, answers
    assert blob(url, uuid.uuid4().hex, pad, "other", chunk)[0] == 200  # another session


def test_html_in_a_prompt_comes_back_escaped(server):
    _, url = server
    prompt = '<img src=x onerror=alert(1)><a href="//example">x</a>'
    answer = run(url, event(url, "numbers_summation_rnn"), [prompt])
    message = answer["output"]["error"]
    assert "<img" not in message and "<a " not in message, message
    assert "&lt;img src=x onerror=alert(1)&gt;" in message, message


def test_no_server_path_in_a_message(server):
    _, url = server
    answer = run(url, event(url, "image_classification"), [{"path": "x.png", "meta": {}}])
    assert answer["success"] is False
    message = answer["output"]["error"]
    assert str(ROOT) not in message and "Cannot move" not in message, message


# ------------------------------------------------------------------------ the queue


def test_one_client_cannot_fill_the_queue(server):
    """One session queues slow requests: past its share it is told so at once (HTTP 503),
    and another session's request is still answered."""
    from hub import MAX_WAITING

    _, url = server
    slow = event(url, "text_generation_shakespeare_rnn")
    greedy = uuid.uuid4().hex
    joined = []
    with drained(url, slow, joined):
        for _ in range(MAX_WAITING + 4):
            joined.append((greedy, *join(url, slow, ["Hello", 1400, 1.0, 1], greedy)))
        answers = [(status, text) for _, status, text in joined]
        refused = [text for status, text in answers if status == 503]
        assert refused and all("Too many requests waiting" in text for text in refused), answers
        accepted = sum(status == 200 for status, _ in answers)
        assert MAX_WAITING <= accepted <= MAX_WAITING + 1, answers  # + the one running
        assert run(url, event(url, "ping"), [])["output"]["data"] == ["pong"]
        # A second visitor of the same slow tab still gets in the queue.
        other = uuid.uuid4().hex
        joined.append((other, *join(url, slow, ["Hi", 10, 1.0, 1], other)))
        assert joined[-1][1] == 200, joined[-1]


def test_behind_a_trusted_proxy_the_client_is_its_forwarded_address(server):
    """HUB_TRUSTED_PROXIES names the proxy: then one X-Forwarded-For address (its last
    hop, the one the proxy appended) is one client, whatever sessions it opens."""
    from hub import MAX_WAITING_PER_ADDRESS

    _, url = server
    slow = event(url, "text_generation_shakespeare_rnn")
    crowd = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
    joined = []
    with drained(url, slow, joined):
        for _ in range(MAX_WAITING_PER_ADDRESS + 3):
            session = uuid.uuid4().hex
            joined.append((session, *join(url, slow, ["Hello", 1400, 1.0, 1], session, crowd)))
        assert any(status == 503 for _, status, _ in joined), joined
        other, session = {"X-Forwarded-For": "203.0.113.8"}, uuid.uuid4().hex
        joined.append((session, *join(url, slow, ["Hi", 10, 1.0, 1], session, other)))
        assert joined[-1][1] == 200, joined[-1]


@contextlib.contextmanager
def drained(url: str, fn_index: int, joined: list):
    """Cancels every job in ``joined`` (session, status, body) at the end, and waits until
    the hub's queue is empty: the next test does not run behind a flood."""
    try:
        yield
    finally:
        cancel(url, fn_index, joined)
        wait_until(lambda: queue_size(url) == 0, 120, "empty queue after the flood")


# ------------------------------------------------------------------------ streams


def test_two_visitors_stream_the_same_webcam_tab_at_once(server, tmp_path):
    """Two browsers, each with a fake camera, stream into the Objects tab together: both
    get answers while the other streams (before, the second waited for the first)."""
    from bench.webcam import DETECTION, fake_camera, stream_tab

    _, url = server
    photos = sorted((ROOT / "ui" / "examples" / "photos").glob("*.jpg"))
    video = fake_camera(tmp_path / "photos.y4m", photos[:2])
    # 20 s of both streaming: frames are answered every 0.1-0.5 s on a quiet machine, still
    # every few seconds on a machine busy with other work
    results, _, _ = stream_tab(url, DETECTION, video, 2, 20, server[0].pid, lambda: None)
    assert all(r["answers"] >= 1 for r in results), results
    # each page shows its answered frame (a JPEG inside the answer), as large as captured
    pictures = [(r["capture"], r["shown"]) for r in results]
    assert all(shown == capture != "none" for capture, shown in pictures), pictures


def test_a_stream_that_stops_sending_ends(server):
    """A stream that sends one frame, then nothing, is closed after STREAM_IDLE seconds
    (its time limit is 120 s): its page gets the end of the stream."""
    from hub import STREAM_IDLE

    _, url = server
    found = config(url)
    stream = next(
        d for d in found["dependencies"] if d.get("connection") == "stream" and d["time_limit"]
    )
    assert stream["time_limit"] > 3 * STREAM_IDLE
    frame = base64.b64encode((ROOT / "ui" / "examples" / "photos" / "coffee.jpg").read_bytes())
    image = {"path": None, "url": "data:image/jpeg;base64," + frame.decode()}
    session = uuid.uuid4().hex
    data = [image] + [None] * (len(stream["inputs"]) - 1)
    if len(stream["inputs"]) > 1:
        data[1] = 0.3
    status, text = join(url, stream["id"], data, session)
    assert status == 200, text
    done = threading.Event()
    got: list[dict] = []

    def read():
        for message in messages(url, session):
            got.append(message)
            if message.get("msg") == "process_completed":
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout=stream["time_limit"] - STREAM_IDLE), "the stream never ended"
    # The frame was answered (a process_streaming message with the model's output for
    # it), and the stream then ended cleanly: no error on the way, a successful end.
    answered = [m for m in got if m.get("msg") in ("process_streaming", "process_generating")]
    assert answered and all(m["success"] for m in answered), got
    assert any(value is not None for value in answered[0]["output"]["data"]), answered[0]
    end = got[-1]
    assert end["msg"] == "process_completed" and end["success"], end
