"""1 vs 2 hub replicas behind HAProxy (`make run REPLICAS=N`, deploy/replicas.py): 32
concurrent gradio_client users over digits, photos and text, then a replica killed under
the same load. Prints throughput, p50/p95, the memory of each replica, and the failed
requests around the kill.

    python -m bench.replicas                  # 1 and 2 replicas, 30 s of load each
    python -m bench.replicas --seconds 60 --clients 16
    python -m bench.replicas --smoke          # 2 replicas of one small tab, 4 users, a kill

Both set-ups go through HAProxy, so the proxy's hop is in both. Each user is its own
gradio_client Client (its own session and affinity cookie) cycling through the
/digits_recognition_cnn drawing, the /image_classification photo and the
/numbers_summation_rnn sum. The users run in this process, on the same cores as the hub.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from gradio_client import handle_file

from bench.common import connect
from core import ROOT
from deploy.processes import reserve_port, status_mb, wait_until
from deploy.replicas import server_states

DIGIT = str(ROOT / "ui" / "examples" / "digits_recognition" / "7.png")
PHOTO = str(ROOT / "ui" / "examples" / "photos" / "chelsea.jpg")
MIX = {
    "digits_recognition_cnn": lambda: [
        {"background": None, "layers": [], "composite": handle_file(DIGIT)}
    ],
    "image_classification": lambda: [handle_file(PHOTO)],
    "numbers_summation_rnn": lambda: ["34+27"],
}
SMOKE_MIX = ["numbers_summation_rnn"]


class Replicas:
    """`python -m deploy.replicas --replicas n` on a free port, until ``stop()``."""

    def __init__(self, n: int, only: list[str]):
        self.port = reserve_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.run_dir = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
        self.log = self.run_dir / "launcher.log"
        command = [sys.executable, "-m", "deploy.replicas", "--replicas", str(n)]
        command += ["--port", str(self.port), "--run-dir", str(self.run_dir)]
        command += ["--only", ",".join(only)]
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        start = time.perf_counter()
        try:
            wait_until(self.serving, 1200, "`serving on` line", 0.5, self.process)
        except AssertionError as error:
            raise RuntimeError(f"{error}:\n{self.log.read_text()[-3000:]}") from None
        self.ready_s = time.perf_counter() - start
        self.names = [f"r{i}" for i in range(1, n + 1)]

    def serving(self) -> bool:
        return "serving on" in self.log.read_text(errors="replace")

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text())

    def status(self, name: str) -> str:
        try:
            return server_states(self.run_dir / "haproxy.sock")[name]["status"]
        except (OSError, KeyError):
            return ""

    def r1_up(self) -> bool:
        return self.status("r1").startswith("UP")

    def memory_mb(self, name: str) -> tuple[float, float]:
        """Resident and peak resident memory of a replica, in MB."""
        return status_mb(self.pid(name), "VmRSS"), status_mb(self.pid(name), "VmHWM")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def load(url: str, clients: int, seconds: float, endpoints: list[str], during=None) -> list:
    """``clients`` users, each its own Client, cycle through ``endpoints`` for ``seconds``
    (after one warm-up round each); ``during()`` runs meanwhile. Returns (start, seconds,
    error or None) per request."""
    users = [connect(url) for _ in range(clients)]
    for user in users:
        for endpoint in endpoints:
            user.predict(*MIX[endpoint](), api_name=f"/{endpoint}")
    results: list[tuple[float, float, str | None]] = []
    stop = threading.Event()

    def user_loop(client, offset: int) -> None:
        i = offset
        while not stop.is_set():
            endpoint = endpoints[i % len(endpoints)]
            i += 1
            start = time.monotonic()
            try:
                client.predict(*MIX[endpoint](), api_name=f"/{endpoint}")
                error = None
            except Exception as exc:  # noqa: BLE001 (every failure is counted)
                error = f"{type(exc).__name__}: {str(exc)[:80]}"
            results.append((start, time.monotonic() - start, error))

    threads = [
        threading.Thread(target=user_loop, args=(user, i), daemon=True)
        for i, user in enumerate(users)
    ]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    time.sleep(max(0.0, seconds - (time.monotonic() - begin)))
    stop.set()
    for thread in threads:
        thread.join(300)
    return results


def summary(results: list, seconds: float) -> str:
    ok = np.asarray([took for _, took, error in results if error is None]) * 1000
    failed = sum(1 for *_, error in results if error)
    p50, p95 = np.percentile(ok, [50, 95]) if len(ok) else (float("nan"),) * 2
    return (
        f"{len(ok) / seconds:5.1f} req/s  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  "
        f"({len(ok)} answered, {failed} failed)"
    )


def kill_one(replicas: Replicas, after_s: float, marks: dict) -> None:
    """Wait ``after_s``, SIGKILL replica r1 and note when HAProxy marks it DOWN."""
    time.sleep(after_s)
    marks["killed"] = time.monotonic()
    os.kill(replicas.pid("r1"), signal.SIGKILL)
    wait_until(lambda: replicas.status("r1").startswith("DOWN"), 60, "r1 DOWN", 0.1)
    marks["down"] = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--smoke", action="store_true", help="a short run of one small tab")
    args = parser.parse_args()
    endpoints = SMOKE_MIX if args.smoke else list(MIX)
    clients = 4 if args.smoke else args.clients
    seconds = 3 if args.smoke else args.seconds
    print(f"{clients} users over {', '.join(endpoints)}; {os.cpu_count()} cores, ", end="")
    print(f"load average {os.getloadavg()[0]:.1f}")
    for n in [2] if args.smoke else [1, 2]:
        replicas = Replicas(n, endpoints)
        try:
            print(f"\n{n} replica(s): serving {replicas.ready_s:.0f} s after start")
            results = load(replicas.url, clients, seconds, endpoints)
            print(f"  load {seconds:.0f} s: {summary(results, seconds)}")
            for name in replicas.names:
                rss, peak = replicas.memory_mb(name)
                print(f"  {name}: {rss:.0f} MB resident, {peak:.0f} MB peak")
            if n < 2:
                continue
            marks: dict[str, float] = {}
            results = load(
                replicas.url,
                clients,
                seconds,
                endpoints,
                during=functools.partial(kill_one, replicas, seconds / 3, marks),
            )
            after = [r for r in results if r[0] > marks["down"]]
            print(f"  kill r1 after {seconds / 3:.0f} s: {summary(results, seconds)}")
            print(
                f"    DOWN in HAProxy {marks['down'] - marks['killed']:.1f} s after the kill; "
                f"failed: {sum(1 for r in results if r[2] and r[0] < marks['killed'])} "
                f"started before the kill, "
                f"{sum(1 for r in results if r[2] and marks['killed'] <= r[0] <= marks['down'])} "
                f"between kill and DOWN, {sum(1 for r in after if r[2])} of {len(after)} after"
            )
            for error in sorted({r[2] for r in results if r[2]})[:3]:
                print(f"    e.g. {error}")
            if not args.smoke:
                start = time.monotonic()
                wait_until(replicas.r1_up, 1200, "r1 UP again", 0.5)
                print(f"    r1 started again and back UP {time.monotonic() - start:.0f} s later")
        finally:
            replicas.stop()


if __name__ == "__main__":
    main()
