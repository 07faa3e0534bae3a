"""The hub in front of hostile visitors: each request below is one a stranger could send
to a share link or a public Space, sent through HTTP (or gradio_client) as they would,
with the answer it must get (issue 15).

- a file value naming a path on the server's own disk is never opened (every image
  input: API endpoints and UI-only events alike);
- an image's size is read from its header and a huge one refused before anything is
  decoded, with the server's memory checked;
- uploads over 10 MB, a full queue, an unknown endpoint, malformed values: clear answers;
- no run history, no public /monitoring, and every webcam stream ends by itself.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from core import ROOT
from deploy.processes import reset_peak, status_mb
from helpers import completed, join, post

SERVER_IMAGE = ROOT / "weights" / "digits_recognition_cnn" / "confusion_matrix.png"
FILE_META = {"_type": "gradio.FileData"}
PHOTO_ENDPOINTS = [
    ("objects_detection", 0.3),
    ("image_classification", None),
    ("rock_paper_scissors_cnn", None),
    ("rock_paper_scissors_transfer", None),
]
SKETCH_ENDPOINT = "digits_recognition_cnn"
MB = 1024 * 1024


def call(url: str, endpoint: str, data: list) -> tuple[str, object]:
    """POST /gradio_api/call/<endpoint>, then read its events: ("complete", data),
    ("error", message) or ("http <status>", body)."""
    status, text = post(url, f"/gradio_api/call/{endpoint}", json.dumps({"data": data}).encode())
    if status != 200:
        return f"http {status}", text
    event_id = json.loads(text)["event_id"]
    events = f"{url.rstrip('/')}/gradio_api/call/{endpoint}/{event_id}"
    with urllib.request.urlopen(events, timeout=300) as stream:
        body = stream.read().decode()
    kind, data = re.findall(r"^event: (\w+)\ndata: (.*)$", body, re.M)[-1]
    data = json.loads(data)
    return kind, data.get("error") if kind == "error" and isinstance(data, dict) else data


def run_event(url: str, fn_index: int, data: list) -> dict:
    """Run one event the way the browser does (queue/join, then its SSE stream): works
    for UI-only events, which have no /call route. Returns process_completed's message."""
    session = uuid.uuid4().hex
    status, text = join(url, fn_index, data, session)
    assert status == 200, text
    return completed(url, session)[0]


def private_event(url: str, name: str) -> int:
    """The fn_index of the first UI-only event whose function is ``name``."""
    config = json.loads(urllib.request.urlopen(f"{url.rstrip('/')}/config", timeout=60).read())
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == name)


def png(path: Path, side: int) -> Path:
    """A white side x side PNG (1 bit per pixel, so a few hundred KB), written row by row:
    nothing this big is ever held in this process's memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # 1-bit greyscale
    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    signature = b"\x89PNG\r\n\x1a\n"
    path.write_bytes(
        signature + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


# ------------------------------------------------------------------- files on the server


@pytest.mark.parametrize("meta", [False, True], ids=["bare path", "path with meta"])
def test_a_path_on_the_server_is_never_opened(hub_url, meta):
    value = {"path": str(SERVER_IMAGE), **({"meta": FILE_META} if meta else {})}
    sketch = {"background": None, "layers": [], "composite": value}
    requests = [
        (name, [value] + ([extra] if extra is not None else [])) for name, extra in PHOTO_ENDPOINTS
    ] + [(SKETCH_ENDPOINT, [sketch])]
    for endpoint, data in requests:
        kind, answer = call(hub_url, endpoint, data)
        assert kind == "error", f"/{endpoint} answered {str(answer)[:300]}"
        assert answer and re.search(r"not uploaded|not in the cache|meta", answer), endpoint


def test_ui_only_events_never_open_a_path_on_the_server(hub_url):
    bare = {"path": str(SERVER_IMAGE)}
    with_meta = {"path": str(SERVER_IMAGE), "meta": FILE_META}
    # rock-paper-scissors "Play with this photo" (a numpy gr.Image) and the digits
    # preview ("What the network sees", the sketchpad again)
    cases = [
        ("play", [bare, [0, 0]]),
        ("play", [with_meta, [0, 0]]),
        ("network_input", [{"background": None, "layers": [bare], "composite": None}]),
        ("network_input", [{"background": with_meta, "layers": [], "composite": None}]),
    ]
    for name, data in cases:
        message = run_event(hub_url, private_event(hub_url, name), data)
        assert message["success"] is False, f"{name}: {str(message)[:300]}"
        assert re.search(r"not uploaded|not in the cache|meta", message["output"]["error"])


def test_every_image_input_of_the_hub_is_guarded(hub_app):
    """Every gr.Image and gr.ImageEditor that any event reads goes through
    ui/inputs.py (its Image or Drawing), so no event (API or UI-only) is left open."""
    inputs = {block for fn in hub_app.fns.values() for block in fn.inputs}
    images = [b for b in inputs if isinstance(b, (gr.Image, gr.ImageEditor))]
    assert len(images) >= 10
    unguarded = [f"{type(b).__name__} {b.label!r}" for b in images if not b.guarded_images]
    assert not unguarded, unguarded


def test_the_visitors_own_upload_is_still_read(hub_client):
    photo = handle_file(str(ROOT / "ui" / "examples" / "photos" / "chelsea.jpg"))
    assert hub_client.predict(photo, api_name="/image_classification")["label"]


# ----------------------------------------------------------------------- huge images


def test_a_huge_drawing_is_refused_from_its_header_and_memory_stays_flat(hub_client, tmp_path):
    drawing = png(tmp_path / "huge.png", 13_300)  # 177 megapixels, ~300 KB
    assert drawing.stat().st_size < 1 * MB
    sketch = {"background": None, "layers": [], "composite": handle_file(str(drawing))}
    before = status_mb("self")
    reset_peak("self")  # VmHWM (peak) := the RSS now
    with pytest.raises(AppError, match=r"too large: 177 megapixels.*limit is 16 megapixels"):
        hub_client.predict(sketch, api_name=f"/{SKETCH_ENDPOINT}")
    layers = {"background": None, "layers": [handle_file(str(drawing))] * 3, "composite": None}
    with pytest.raises(AppError, match="too large: 531 megapixels in all"):
        hub_client.predict(layers, api_name=f"/{SKETCH_ENDPOINT}")
    peak = status_mb("self", "VmHWM")
    assert peak - before < 300, f"the server grew from {before:.0f} to {peak:.0f} MB"
    assert hub_client.predict(api_name="/ping") == "pong"


def test_a_20000_pixel_photo_is_called_too_large(hub_client, tmp_path):
    photo = handle_file(str(png(tmp_path / "huge.png", 20_000)))
    with pytest.raises(AppError, match=r"too large: 400 megapixels; the limit is 100"):
        hub_client.predict(photo, api_name="/image_classification")


# ------------------------------------------------------------ uploads, queue, streams


def test_an_upload_over_10_mb_is_refused(hub_url, tmp_path):
    files = {"files": ("big.png", b"\0" * (11 * MB), "image/png")}
    answer = httpx.post(f"{hub_url.rstrip('/')}/gradio_api/upload", files=files, timeout=120)
    assert answer.status_code == 413, answer.text
    assert "File size exceeded maximum allowed size" in answer.text
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (11 * MB))
    client = Client(hub_url, verbose=False, analytics_enabled=False)
    with pytest.raises(ValueError, match="exceeds the maximum file size of 10485760 bytes"):
        client.predict(handle_file(str(big)), api_name="/image_classification")


def test_a_full_queue_answers_busy_at_once(hub_app, hub_url):
    from hub import MAX_QUEUE

    assert hub_app._queue.max_size == MAX_QUEUE  # what build_hub sets
    hub_app._queue.max_size = 1  # so that three requests fill it
    try:
        data = json.dumps({"data": ["Hello", 1400, 1.0, 1]}).encode()
        answers = [
            post(hub_url, "/gradio_api/call/text_generation_shakespeare_rnn", data)
            for _ in range(4)
        ]
    finally:
        hub_app._queue.max_size = MAX_QUEUE
    busy = [text for status, text in answers if status == 503]
    assert busy and all("Queue is full" in text for text in busy), answers
    accepted = [json.loads(text)["event_id"] for status, text in answers if status == 200]
    for event_id in accepted:  # read them to the end, so the queue is empty again
        events = f"{hub_url.rstrip('/')}/gradio_api/call/text_generation_shakespeare_rnn/{event_id}"
        urllib.request.urlopen(events, timeout=300).read()


def test_every_stream_has_a_time_limit(hub_url):
    config = json.loads(urllib.request.urlopen(f"{hub_url.rstrip('/')}/config", timeout=60).read())
    streams = [d for d in config["dependencies"] if d.get("connection") == "stream"]
    assert len(streams) >= 3  # detection and both rock-paper-scissors webcams
    assert all(d["time_limit"] and d["time_limit"] <= 300 for d in streams), streams


def test_cancelling_a_stream_leaves_another_clients_stream_running(hub_url):
    """gradio cancels by session and function: through ONE Client, cancelling one of
    several streams of an endpoint may stop the others. README ("Calling an experiment
    from Python") says to give each stream its own Client; this is that workaround."""
    first, second = (Client(hub_url, verbose=False, analytics_enabled=False) for _ in "ab")
    endpoint = "/text_generation_shakespeare_rnn"
    cancelled = first.submit("Hello", 1400, 1.0, 1, api_name=endpoint)
    kept = second.submit("Hello", 300, 1.0, 2, api_name=endpoint)
    cancelled.cancel()
    text = kept.result(timeout=300)
    assert text.startswith("Hello") and len(text) >= 300


# ------------------------------------------------------------------- smaller holes


@pytest.mark.parametrize(
    "endpoint, data, message",
    [
        ("objects_detection", [], r"didn't receive enough input values \(needed: 2, got: 0\)"),
        ("image_classification", [5], "not a valid ImageData"),
        (SKETCH_ENDPOINT, [{"background": None, "layers": [], "composite": "x"}], "EditorData"),
    ],
    ids=["too few arguments", "a number for an image", "a string composite"],
)
def test_malformed_requests_get_a_message(hub_url, endpoint, data, message):
    kind, answer = call(hub_url, endpoint, data)
    assert kind == "error" and answer and re.search(message, answer), answer


def test_an_unknown_endpoint_is_a_clear_404(hub_url):
    status, text = post(hub_url, "/gradio_api/call/no_such_endpoint", b'{"data": []}')
    assert status == 404 and "no_such_endpoint" in text and "/gradio_api/info" in text


def test_no_run_history_and_no_public_monitoring(hub_url):
    root = hub_url.rstrip("/")
    for path, closed in [
        ("/gradio_api/run-history/buckets", 404),
        ("/gradio_api/run-history/records", 404),
        ("/monitoring/summary", 403),
        ("/monitoring", 403),
    ]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(root + path, timeout=30)
        assert refused.value.code == closed, path
    config = json.loads(urllib.request.urlopen(f"{root}/config", timeout=60).read())
    assert config["run_history"] is False
