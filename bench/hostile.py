"""One hostile client's memory cost (issue 27's table, the rows about memory): for each
flood, the hub's peak resident memory over what it held before (VmHWM over VmRSS, from
/proc), for one request and for four at once (from four loopback addresses), and how
long another visitor (another address) waited for a ping meanwhile.

    python -m bench.hostile [--smoke]

Floods: a 16-bit grey PNG (9400 x 9400) to /image_classification; a JSON body holding
a data: URL of a small PNG plus 100 MB (refused), and plus 13 MB (just under the
limit); 32 MB of sketchpad blobs from each of 15 new sessions; 1,000 pings, each from a
new session. --smoke: smaller ones. Memory figures hold on a loaded machine; latencies
do not.
"""

from __future__ import annotations

import base64
import io
import json
import tempfile
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
from PIL import Image

from bench.common import arguments, load_note, start_server
from deploy.processes import reset_peak, status_mb, stop

JSON = {"content-type": "application/json"}
OTHER = "127.0.0.3"  # the visitor who keeps asking for a ping
FLOODERS = ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"]


def client(address: str, timeout: float = 600) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=timeout)


def deep_grey_png(side: int) -> bytes:
    """A side x side 16-bit grey PNG, a ramp, compressed to a few hundred KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([16, 0, 0, 0, 0])
    ramp = b"".join((x * 65535 // side).to_bytes(2, "big") for x in range(side))
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(b"\x00" + ramp) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def call(http: httpx.Client, url: str, endpoint: str, data: list) -> str:
    """POST /gradio_api/call/<endpoint>, then its events: the last event's kind."""
    answer = http.post(f"{url}gradio_api/call/{endpoint}", json={"data": data})
    if answer.status_code != 200:
        return f"http {answer.status_code}"
    event_id = answer.json()["event_id"]
    body = http.get(f"{url}gradio_api/call/{endpoint}/{event_id}").text
    return body.strip().split("\n")[-2].removeprefix("event: ") if body.strip() else "empty"


def photo_flood(url: str, address: str, png: bytes) -> str:
    with client(address) as http:
        files = {"files": ("deep.png", png, "image/png")}
        (path,) = http.post(f"{url}gradio_api/upload", files=files).json()
        value = {"path": path, "orig_name": "deep.png", "meta": {"_type": "gradio.FileData"}}
        return call(http, url, "image_classification", [value])


def body_flood(url: str, address: str, padding_mb: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    data_url += "A" * (padding_mb << 20)
    body = json.dumps({"data": [{"url": data_url, "meta": {"_type": "gradio.FileData"}}]})
    with client(address) as http:
        try:
            answer = http.post(
                f"{url}gradio_api/call/image_classification", content=body, headers=JSON
            )
            if answer.status_code == 200:  # taken: the event's own answer
                event_id = answer.json()["event_id"]
                events = http.get(f"{url}gradio_api/call/image_classification/{event_id}")
                return events.text.strip().split("\n")[-2].removeprefix("event: ")
            return f"http {answer.status_code}"
        except httpx.HTTPError as error:  # the hub closed the connection: refused
            return type(error).__name__


def blob_flood(url: str, address: str, sessions: int) -> str:
    with client(address) as http:
        config = http.get(f"{url}config").json()
        pad = next(c["id"] for c in config["components"] if c.get("type") == "imageeditor")
        statuses = []
        for _ in range(sessions):
            session = uuid.uuid4().hex
            for n in range(4):  # 4 x 8 MB: the 32 MB a session may hold
                form = {"id": f"{session}-{n}", "type": "layer", "index": "0"}
                form |= {"session_hash": session, "component_id": str(pad)}
                form |= {"fn_name": "accept_blobs"}
                files = {"file": ("blob", b"\0" * (8 << 20))}
                answer = http.post(f"{url}gradio_api/component_server/", data=form, files=files)
                statuses.append(answer.status_code)
    return f"{statuses.count(200)} of {len(statuses)} blobs kept"


def ping_flood(url: str, address: str, count: int) -> str:
    with client(address) as http:
        config = http.get(f"{url}config").json()
        ping = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ping")
        codes = [
            http.post(
                f"{url}gradio_api/queue/join",
                json={"data": [], "fn_index": ping, "session_hash": uuid.uuid4().hex},
            ).status_code
            for _ in range(count)
        ]
    return f"{codes.count(200)} of {count} sessions taken"


def flood(process, url: str, name: str, send, copies: int) -> None:
    """``send(address)`` from ``copies`` addresses at once; print the peak memory over
    what the hub held before, and the slowest ping of another visitor meanwhile."""
    time.sleep(2)  # what the flood before left settles
    reset_peak(process.pid)
    before = status_mb(process.pid, "VmRSS")
    done, waits = threading.Event(), []

    def other_visitor():
        with client(OTHER, timeout=120) as http:
            while not done.is_set():
                start = time.perf_counter()
                call(http, url, "ping", [])
                waits.append(time.perf_counter() - start)
                time.sleep(0.2)

    watcher = threading.Thread(target=other_visitor)
    watcher.start()
    with ThreadPoolExecutor(copies) as pool:
        answers = list(pool.map(send, FLOODERS[:copies]))
    done.set()
    watcher.join()
    grown = status_mb(process.pid, "VmHWM") - before
    kept = status_mb(process.pid, "VmRSS") - before
    slowest = max(waits) if waits else float("nan")
    print(
        f"{name:<44} x{copies}: peak +{grown:,.0f} MB, kept +{kept:,.0f} MB; another "
        f"visitor's slowest ping {slowest:.2f} s ({len(waits)} pings); {answers[0]}"
    )


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__).parse_args(argv)
    side, padding, sessions, pings = (2000, 20, 2, 50) if args.smoke else (9400, 100, 15, 1000)
    png = deep_grey_png(side)
    uploads = tempfile.TemporaryDirectory(prefix="hub-hostile-")  # the hub's upload folder
    process, url, _ = start_server(
        lambda port: [
            "hub.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--only",
            "image_classification,digits_recognition_cnn",
        ],
        {"GRADIO_TEMP_DIR": uploads.name},
    )
    try:
        print(load_note())
        print(f"hub at rest: {status_mb(process.pid, 'VmRSS'):,.0f} MB")
        for copies in (1, 4):
            flood(
                process,
                url,
                f"16-bit grey PNG {side}x{side} ({len(png) >> 10} KB)",
                lambda a: photo_flood(url, a, png),
                copies,
            )
        for padding_mb in (padding, 13):  # refused as it arrives; just under the limit
            for copies in (1, 4):
                flood(
                    process,
                    url,
                    f"data: URL body, {padding_mb} MB of padding",
                    lambda a, padding_mb=padding_mb: body_flood(url, a, padding_mb),
                    copies,
                )
        flood(
            process,
            url,
            f"blobs: {sessions} new sessions x 32 MB",
            lambda a: blob_flood(url, a, sessions),
            1,
        )
        flood(
            process,
            url,
            f"{pings:,} pings, each a new session",
            lambda a: ping_flood(url, a, pings),
            1,
        )
        print(load_note())
    finally:
        stop(process)
        uploads.cleanup()


if __name__ == "__main__":
    main()
