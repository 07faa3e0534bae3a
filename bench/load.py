"""Load: 16 concurrent gradio_client users x 20 requests each on a mix of classifier
endpoints, then the same load on the trivial /ping endpoint (the framework floor).
Prints throughput, p50/p95 latency and errors. Run once per queue setting to compare:

    python bench/load.py                      # gradio's default: 1 request per function at a time
    python bench/load.py --concurrency 4      # default_concurrency_limit=4 for every function
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from bench.common import ROOT, free_port  # noqa: E402

USERS = 16
REQUESTS = 20
DIGIT = str(ROOT / "spaces" / "examples" / "digits" / "7.png")
DOODLE = str(ROOT / "spaces" / "examples" / "sketches" / "cat.png")
PHOTO = str(ROOT / "spaces" / "examples" / "photos" / "chelsea.jpg")


def drawing(path: str) -> dict:
    return {"background": None, "layers": [], "composite": handle_file(path)}


# endpoint -> arguments: the request-response experiments (the generators stream text
# for seconds and would measure the sampler, not serving).
MIX = {
    "digits_recognition_mlp": lambda: [drawing(DIGIT)],
    "digits_recognition_cnn": lambda: [drawing(DIGIT)],
    "sketch_recognition_mlp": lambda: [drawing(DOODLE)],
    "sketch_recognition_cnn": lambda: [drawing(DOODLE)],
    "image_classification": lambda: [handle_file(PHOTO)],
    "numbers_summation_rnn": lambda: ["34+27"],
}


def serve(port: int, concurrency: int) -> None:
    """The hub of hub.py, with the queue's per-function concurrency set."""
    from hub import build_hub

    app = build_hub(list(MIX))
    app.queue(default_concurrency_limit=concurrency)
    app.launch(server_name="127.0.0.1", server_port=port, quiet=True)


def start(concurrency: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    code = f"from bench.load import serve; serve({port}, {concurrency})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            Client(url, verbose=False, analytics_enabled=False).predict(api_name="/ping")
            return process, url
        except Exception:
            if process.poll() is not None:
                raise RuntimeError("the hub exited during start-up") from None
            time.sleep(0.5)


def load(url: str, endpoints: list[str]) -> tuple[float, np.ndarray, list[str]]:
    """USERS threads, each its own client, REQUESTS calls each over `endpoints` in turn.
    Returns wall seconds, per-request seconds and the errors."""
    clients = [Client(url, verbose=False, analytics_enabled=False) for _ in range(USERS)]

    def user(index: int) -> tuple[list[float], list[str]]:
        times, errors = [], []
        for i in range(REQUESTS):
            endpoint = endpoints[(index + i) % len(endpoints)]
            args = MIX[endpoint]() if endpoint in MIX else []
            start = time.perf_counter()
            try:
                clients[index].predict(*args, api_name=f"/{endpoint}")
            except Exception as error:
                errors.append(f"/{endpoint}: {type(error).__name__}: {str(error)[:120]}")
            times.append(time.perf_counter() - start)
        return times, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(USERS) as pool:
        results = list(pool.map(user, range(USERS)))
    wall = time.perf_counter() - start
    return wall, np.concatenate([r[0] for r in results]), [e for r in results for e in r[1]]


def show(name: str, wall: float, seconds: np.ndarray, errors: list[str]) -> None:
    p50, p95 = np.percentile(seconds, [50, 95]) * 1000
    print(
        f"{name:<30} {len(seconds) / wall:6.1f} req/s   p50 {p50:7.0f} ms   "
        f"p95 {p95:7.0f} ms   errors {len(errors)}/{len(seconds)}"
    )
    for error in sorted(set(errors)):
        print(f"    {errors.count(error)} x {error}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=1, help="per-function queue slots")
    concurrency = parser.parse_args().concurrency

    process, url = start(concurrency)
    try:
        print(f"{USERS} users x {REQUESTS} requests, default_concurrency_limit={concurrency}")
        show("/ping (framework floor)", *load(url, ["ping"]))
        show("mix of 6 classifier endpoints", *load(url, list(MIX)))
    finally:
        process.terminate()
