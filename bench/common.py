"""Benchmark helpers: start the hub as a visitor's server would run, time requests.

Every bench is a module run from the repository root, ``python -m bench.<name>``, and
takes ``--smoke``: a run of a few seconds on little data, which tests/test_bench.py makes
for every module here so that none of them rots unnoticed.
"""

from __future__ import annotations

import argparse
import os
import ssl
import subprocess
import sys
import time

import numpy as np

from core import ROOT
from deploy.processes import hub_answers, reserve_port, stop, wait_until

# A bench that builds the hub in its own process (numbers_summation, footprint): set
# before gradio and TensorFlow are first imported.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def arguments(doc: str | None, **options: dict) -> argparse.ArgumentParser:
    """An argument parser with ``--smoke`` and, for each ``name=dict(...)`` in
    ``options``, ``--name`` with those add_argument settings."""
    parser = argparse.ArgumentParser(
        description=(doc or "").split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    for name, settings in options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **settings)
    parser.add_argument(
        "--smoke", action="store_true", help="a run of a few seconds: checks that it still runs"
    )
    return parser


def load_note() -> str:
    """The 1-minute load average and the core count: the machine's state, printed with
    every figure (other work on the machine slows every figure down)."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def connect(url: str, shared_tls: bool = True):
    """A gradio_client.Client on ``url``.

    gradio_client makes a new httpx client for each HTTP call, and each one loads the CA
    bundle into a new SSL context: about 100 ms of CPU per request on this machine, more
    than the hub spends answering it. With ``shared_tls`` one verifying SSLContext, given
    as ``ssl_verify``, serves every call (README, "Calling the hub from Python").
    """
    from gradio_client import Client

    tls = {"ssl_verify": ssl.create_default_context()} if shared_tls else {}
    return Client(url, verbose=False, analytics_enabled=False, **tls)


def start_server(command, extra_env: dict | None = None) -> tuple[subprocess.Popen, str, float]:
    """Start ``python *command(port)``, a hub served on 127.0.0.1:port; return the
    process, its URL and the seconds until its /ping endpoint first answered."""
    port = reserve_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    # HUB_BENCH_LOG=<file>: the server's output goes there (else nowhere).
    log = open(os.environ["HUB_BENCH_LOG"], "ab") if os.environ.get("HUB_BENCH_LOG") else None
    process = subprocess.Popen(
        [sys.executable, *command(port)],
        cwd=ROOT,
        env={**env, **(extra_env or {})},
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: hub_answers(url), 600, f"/ping answer from {url}", process=process)
    except AssertionError as error:
        stop(process)
        raise RuntimeError(f"the hub did not start: {error}") from None
    return process, url, time.perf_counter() - start


def start_hub(only: list[str]) -> tuple[subprocess.Popen, str, float]:
    """`python hub.py --only ...`, as a visitor's server runs it (see start_server)."""
    host = ["--host", "127.0.0.1"]
    return start_server(
        lambda port: ["hub.py", *host, "--port", str(port), "--only", ",".join(only)]
    )


def timed(call, repeats: int) -> np.ndarray:
    """Seconds per call, after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return np.asarray(times)


def report(name: str, seconds: np.ndarray, floor: np.ndarray | None = None) -> None:
    p50, p95 = np.percentile(seconds, [50, 95]) * 1000
    line = f"{name:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
    if floor is not None:
        line += f"   p50 ratio to floor {np.median(seconds) / np.median(floor):.2f}x"
    print(line)


def bench_server(ids: list[str], inputs, repeats: int, note: str = "") -> dict[str, np.ndarray]:
    """Start the hub with ``ids``; print its start-up time, the /ping floor and each
    endpoint called through gradio_client with ``inputs``: a tuple for every endpoint,
    or a function of the experiment id that returns its tuple. Returns each endpoint's
    seconds per request."""
    args_of = inputs if callable(inputs) else lambda experiment_id: inputs
    process, url, ready = start_hub(ids)
    try:
        client = connect(url)
        print(f"start-up to first answer: {ready:.1f} s ({load_note()})")
        floor = timed(lambda: client.predict(api_name="/ping"), repeats)
        report("/ping (framework floor)", floor)
        seconds = {}
        for experiment_id in ids:
            args = args_of(experiment_id)
            seconds[experiment_id] = timed(
                lambda i=experiment_id, a=args: client.predict(*a, api_name=f"/{i}"), repeats
            )
            report(f"/{experiment_id}{note}", seconds[experiment_id], floor)
        return seconds
    finally:
        stop(process)
