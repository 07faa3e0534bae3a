"""Load: 16 concurrent gradio_client users x 20 requests each on a mix of classifier
endpoints, then the same load on the trivial /ping endpoint (the framework floor).
Prints throughput, p50/p95 latency, errors and the CPU server and clients spent per
request. Run once per queue setting to compare:

    python -m bench.load [--smoke]            # the hub's setting: 1 request per function
    python -m bench.load --concurrency 4      # default_concurrency_limit=4
    python -m bench.load --batch 16           # gradio's batching (HUB_MAX_BATCH=16)
    python -m bench.load --default-client     # gradio_client's own TLS set-up, costlier
                                              # than one shared SSL context (bench.common)
"""

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from gradio_client import handle_file

from bench.common import arguments, connect, load_note, start_server, stop
from core import ROOT
from deploy.processes import cpu_seconds
from hub import CONCURRENCY

USERS = 16
REQUESTS = 20
DIGIT = str(ROOT / "ui" / "examples" / "digits_recognition" / "7.png")
DOODLE = str(ROOT / "ui" / "examples" / "sketch_recognition" / "cat.png")
PHOTO = str(ROOT / "ui" / "examples" / "photos" / "chelsea.jpg")


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
    from hub import build_hub, launch

    app = build_hub(list(MIX))
    app.queue(default_concurrency_limit=concurrency)
    launch(app, server_name="127.0.0.1", server_port=port, quiet=True)


def start(concurrency: int, batch: int) -> tuple[subprocess.Popen, str]:
    """The hub of `serve`, in its own process, with HUB_MAX_BATCH=batch."""

    def command(port: int) -> list[str]:
        return ["-c", f"from bench.load import serve; serve({port}, {concurrency})"]

    process, url, _ = start_server(command, {"HUB_MAX_BATCH": str(batch)})
    return process, url


def load(
    url: str, endpoints: list[str], shared_tls: bool, users: int = USERS, requests: int = REQUESTS
) -> tuple[float, np.ndarray, list]:
    """``users`` threads, each its own client, ``requests`` calls each over `endpoints` in
    turn. Returns wall seconds, per-request seconds and the errors."""
    clients = [connect(url, shared_tls) for _ in range(users)]

    def user(index: int) -> tuple[list[float], list[str]]:
        times, errors = [], []
        for i in range(requests):
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
    with ThreadPoolExecutor(users) as pool:
        results = list(pool.map(user, range(users)))
    wall = time.perf_counter() - start
    return wall, np.concatenate([r[0] for r in results]), [e for r in results for e in r[1]]


def measure(pid: int, url: str, endpoints: list[str], shared_tls: bool, *sizes) -> tuple:
    """`load` (``sizes``: its users and requests), plus the CPU that the server and the
    clients spent per request."""
    server, clients = cpu_seconds(pid), time.process_time()
    wall, seconds, errors = load(url, endpoints, shared_tls, *sizes)
    server, clients = cpu_seconds(pid) - server, time.process_time() - clients
    return wall, seconds, errors, server / len(seconds), clients / len(seconds)


def show(name, wall, seconds, errors, server_cpu, client_cpu) -> tuple[float, float]:
    p50, p95 = np.percentile(seconds, [50, 95]) * 1000
    print(
        f"{name:<30} {len(seconds) / wall:5.1f} req/s   p50 {p50:5.0f} ms   p95 {p95:5.0f} ms"
        f"   errors {len(errors)}/{len(seconds)}   CPU per request: server "
        f"{server_cpu * 1000:3.0f} ms, clients {client_cpu * 1000:3.0f} ms"
    )
    for error in sorted(set(errors)):
        print(f"    {errors.count(error)} x {error}")
    return len(seconds) / wall, server_cpu


def main(argv: list[str] | None = None) -> None:
    parser = arguments(
        __doc__,
        concurrency={"type": int, "default": CONCURRENCY, "help": "queue slots"},
        batch={"type": int, "default": 1, "help": "max_batch_size (1: no batching)"},
        rounds={"type": int, "default": 3, "help": "the median round is the figure"},
        default_client={"action": "store_true", "help": "gradio_client's default TLS set-up"},
    )
    args = parser.parse_args(argv)
    shared_tls = not args.default_client
    users, requests = (2, 3) if args.smoke else (USERS, REQUESTS)
    rounds_run = 1 if args.smoke else args.rounds

    process, url = start(args.concurrency, args.batch)
    try:
        print(
            f"{users} users x {requests} requests, default_concurrency_limit="
            f"{args.concurrency}, max_batch_size={args.batch}, clients with "
            + ("gradio's default TLS set-up" if args.default_client else "a shared SSL context")
            + f"; {load_note()}"
        )
        rounds = {"/ping": [], "mix": []}
        for _ in range(rounds_run):
            ping = measure(process.pid, url, ["ping"], shared_tls, users, requests)
            rounds["/ping"].append(show("/ping (framework floor)", *ping))
            mix = measure(process.pid, url, list(MIX), shared_tls, users, requests)
            rounds["mix"].append(show("mix of 6 classifier endpoints", *mix))
        for name, figures in rounds.items():
            rate, cpu = np.median(figures, axis=0)
            print(f"median of {rounds_run} rounds, {name}: {rate:.1f} req/s, server CPU "
                  f"{cpu * 1000:.0f} ms per request")  # fmt: skip
    finally:
        stop(process)


if __name__ == "__main__":
    main()
