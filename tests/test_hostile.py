"""One hostile client against everyone else (issue 27): each request of the issue's table,
sent over HTTP as a script would send it, from one loopback address (127.0.0.2), to a
hub served by its own process; then another visitor, from another loopback address,
must still be answered within ANSWER_WITHIN seconds. The server's peak memory (VmHWM)
is read from /proc.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from pathlib import Path

import httpx
import pytest

HOSTILE = "127.0.0.2"  # the hostile client's source address
OTHERS = ["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"]  # other visitors
ANSWER_WITHIN = 5  # seconds another visitor may wait for an answer during a flood
PHOTO_ENDPOINTS = [
    ("image_classification", []),
    ("objects_detection", [0.3]),
    ("rock_paper_scissors_cnn", []),
    ("rock_paper_scissors_transfer", []),
]
SERVED = [name for name, _ in PHOTO_ENDPOINTS]
SERVED += ["digits_recognition_cnn", "text_generation_shakespeare_rnn"]
FILE_META = {"_type": "gradio.FileData"}
# The hub's limits, set small so that a few requests reach them (hub.py reads these).
LIMITS = {
    "HUB_MAX_QUEUE": "16",
    "HUB_MAX_WAITING_PER_ADDRESS": "6",
    "HUB_NEW_SESSIONS_PER_MINUTE": "20",
    "HUB_UPLOAD_MB_PER_HOUR": "20",
    "HUB_UPLOAD_FOLDER_MB": "60",
    "HUB_MAX_BODY_MB": "14",
}
SLOW = ["text_generation_shakespeare_rnn", ["Hello", 300, 1.0, 1]]  # seconds of CPU


# ----------------------------------------------------------------------------- helpers


def visitor(address: str, timeout: float = 300) -> httpx.Client:
    """An HTTP client whose requests come from ``address`` (a loopback address)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=timeout)


def call(http: httpx.Client, url: str, endpoint: str, data: list) -> tuple[str, object]:
    """POST /gradio_api/call/<endpoint>, then read its events: ("complete", data),
    ("error", message) or ("http <status>", body)."""
    answer = http.post(f"{url}gradio_api/call/{endpoint}", json={"data": data})
    if answer.status_code != 200:
        return f"http {answer.status_code}", answer.text
    event_id = answer.json()["event_id"]
    body = http.get(f"{url}gradio_api/call/{endpoint}/{event_id}").text
    kind, found = re.findall(r"^event: (\w+)\ndata: (.*)$", body, re.M)[-1]
    found = json.loads(found)
    return kind, found.get("error") if kind == "error" and isinstance(found, dict) else found


def upload(http: httpx.Client, url: str, path: Path) -> dict:
    """``path`` uploaded as the browser does: the file value to send."""
    with path.open("rb") as file:
        answer = http.post(f"{url}gradio_api/upload", files={"files": (path.name, file)})
    assert answer.status_code == 200, answer.text
    return {"path": answer.json()[0], "orig_name": path.name, "meta": FILE_META}


def assert_others_answered(url: str, address: str = OTHERS[0]) -> None:
    """Another visitor, from ``address``, gets the ping's answer within ANSWER_WITHIN s."""
    with visitor(address, timeout=ANSWER_WITHIN) as http:
        assert call(http, url, "ping", []) == ("complete", ["pong"])


def deep_grey_png(path: Path, side: int) -> Path:
    """A side x side 16-bit grey PNG, a horizontal ramp, written row by row (about 0.2 MB
    for 9400 x 9400: 177 MB once decoded at 16 bits, 707 MB as float64)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([16, 0, 0, 0, 0])
    ramp = b"".join((x * 65535 // side).to_bytes(2, "big") for x in range(side))
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(b"\x00" + ramp) for _ in range(side)) + packer.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return path


def status_mb(pid: int, field: str) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) / 1024


class PeakMemory:
    """``with PeakMemory(pid) as memory: ...; memory.growth``: how far the process's peak
    resident memory rose above its resident memory at the start, in MB."""

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        self.before = status_mb(self.pid, "VmRSS")
        return self

    def __exit__(self, *exc):
        self.growth = status_mb(self.pid, "VmHWM") - self.before


# ------------------------------------------------------------------------- memory


@pytest.fixture(scope="module")
def deep_photo(tmp_path_factory) -> Path:
    return deep_grey_png(tmp_path_factory.mktemp("photos") / "deep.png", 9400)


def test_opening_a_16_bit_grey_photo_takes_at_most_400_mb(deep_photo):
    """core.photo.open_photo alone, in this process (before: +2,867 MB and 8.5 s of CPU
    for the float64 copy and its temporaries)."""
    from core.photo import open_photo

    with PeakMemory(os.getpid()) as memory:
        image = open_photo(str(deep_photo))
    assert image.size == (2048, 2048) and image.mode == "RGB"
    assert image.getextrema()[0] == (0, 255)  # the ramp, stretched onto 8 bits
    assert memory.growth <= 400, f"+{memory.growth:.0f} MB"
