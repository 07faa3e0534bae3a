"""A greedy client against everybody else: one session queues GREEDY slow photo requests
(/objects_detection) at once, as a script would, while other visitors call the digits and
photo endpoints. Prints how many of the greedy requests the hub took and how many it
refused at once (HUB_MAX_WAITING per client), and the others' latency and errors next to
the same calls with nobody greedy.

    python -m bench.fair_queue [--greedy 70] [--calls 20] [--smoke]
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
from gradio_client import handle_file

from bench.common import arguments, connect, load_note, start_hub, stop
from core import ROOT

PHOTO = str(ROOT / "ui" / "examples" / "photos" / "astronaut.jpg")
DIGIT = str(ROOT / "ui" / "examples" / "digits_recognition" / "7.png")
OTHERS = 3  # visitors calling while the greedy one waits


def upload(url: str, path: str) -> dict:
    """POST /gradio_api/upload: the file value an event takes."""
    with open(path, "rb") as file:
        files = {"files": ("p.jpg", file, "image/jpeg")}
        answer = httpx.post(f"{url}gradio_api/upload", files=files, timeout=60)
    answer.raise_for_status()
    (path,) = answer.json()
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def greedy(url: str, count: int) -> tuple[int, int, str]:
    """``count`` queue/join requests of one session: (taken, refused, a refusal's text)."""
    config = json.loads(urllib.request.urlopen(f"{url}config", timeout=60).read())
    fn_index = next(
        d["id"] for d in config["dependencies"] if d.get("api_name") == "objects_detection"
    )
    photo, session = upload(url, PHOTO), uuid.uuid4().hex
    taken, refused, text = 0, 0, ""
    for _ in range(count):
        body = json.dumps({"data": [photo, 0.3], "fn_index": fn_index, "session_hash": session})
        request = urllib.request.Request(
            f"{url}gradio_api/queue/join", body.encode(), {"Content-Type": "application/json"}
        )
        try:
            urllib.request.urlopen(request, timeout=60).read()
            taken += 1
        except urllib.error.HTTPError as error:
            refused += 1
            text = error.read().decode()
    return taken, refused, text


def others(url: str, calls: int) -> tuple[np.ndarray, list[str]]:
    """OTHERS visitors, ``calls`` requests each (digits, photo in turn)."""
    drawing = {"background": None, "layers": [], "composite": handle_file(DIGIT)}
    requests = [
        ((drawing,), "/digits_recognition_cnn"),
        ((handle_file(PHOTO),), "/image_classification"),
    ]

    def visitor(index: int):
        client, times, errors = connect(url), [], []
        for i in range(calls):
            args, endpoint = requests[(index + i) % 2]
            start = time.perf_counter()
            try:
                client.predict(*args, api_name=endpoint)
            except Exception as error:  # noqa: BLE001 - counted and shown
                errors.append(f"{endpoint}: {str(error)[:100]}")
            times.append(time.perf_counter() - start)
        return times, errors

    with ThreadPoolExecutor(OTHERS) as pool:
        results = list(pool.map(visitor, range(OTHERS)))
    return np.concatenate([r[0] for r in results]), [e for r in results for e in r[1]]


def show(name: str, seconds: np.ndarray, errors: list[str]) -> None:
    p50, p95 = np.percentile(seconds, [50, 95]) * 1000
    print(f"{name:<34} p50 {p50:6.0f} ms   p95 {p95:6.0f} ms   errors {len(errors)}/{len(seconds)}")
    for error in sorted(set(errors)):
        print(f"    {errors.count(error)} x {error}")


def main(argv: list[str] | None = None) -> None:
    parser = arguments(
        __doc__,
        greedy={"type": int, "default": 70, "help": "slow requests the greedy client queues"},
        calls={"type": int, "default": 20, "help": "requests per other visitor"},
    )
    args = parser.parse_args(argv)
    count, calls = (12, 2) if args.smoke else (args.greedy, args.calls)
    process, url, _ = start_hub(
        ["objects_detection", "image_classification", "digits_recognition_cnn"]
    )
    try:
        print(load_note())
        show("others, nobody greedy", *others(url, calls))
        taken, refused, text = greedy(url, count)
        print(f"greedy client: {count} requests, {taken} taken, {refused} refused at once")
        if text:
            print(f"    refusal: {text[:200]}")
        show(f"others, {taken} greedy requests queued", *others(url, calls))
        print(load_note())
    finally:
        stop(process)


if __name__ == "__main__":
    main()
