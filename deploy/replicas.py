"""Serve the hub as N replicas behind HAProxy: what `make run REPLICAS=N` runs.

    python -m deploy.replicas --replicas 2                    # http://127.0.0.1:7860
    python -m deploy.replicas --replicas 3 --host 0.0.0.0 --port 8080 --only digits_recognition_cnn
    python -m deploy.replicas --stop                           # `make stop`
    python -m deploy.replicas --config --servers 10.0.0.5:7860,10.0.0.6:7860 > haproxy.cfg

gradio keeps its queue, uploads, examples cache and session state in one process, so a
visitor must stay on one replica: HAProxy (deploy/haproxy.cfg.template) inserts a cookie
naming it. Each replica is `python hub.py` on a loopback port, with TensorFlow's threads
set to cores / N; one that exits is started again on the same port and rejoins when
HAProxy's health check passes. Ctrl-C, SIGTERM or `make stop` stops HAProxy and every
replica. Options this script does not know (--only, --mcp) go to every hub.py.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from core import ROOT
from deploy.processes import answers, command_line, reserve_port

TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
PIDS = ROOT / ".replicas"  # <proxy port>.pid for each running set: what --stop stops
PORT = 7860
# HAProxy's body limit: the hub's 10 MB upload limit (hub.PUBLIC["max_file_size"], in
# gradio's units) plus 64 KB for the multipart form around the file.
MAX_BODY = 10 * 1024 * 1024 + 64 * 1024
# HAProxy's health check (see the template for why all_endpoints)
HEALTH = "/gradio_api/info?all_endpoints=true"
START_S = 600  # a replica has this long to pass its first health check
STOP_S = 10  # then SIGKILL
RETRY_S = 5  # the least time between two starts of one replica
PROXY = "127.0.0.1"  # where replicas see HAProxy's connections come from


def render(bind: str, servers: list[str], stats_socket: str) -> str:
    """The HAProxy configuration: ``bind`` (host:port) in front of ``servers``
    (host:port each, named r1, r2, ... with that name as their affinity cookie)."""
    lines = [f"    server r{i} {address} cookie r{i}" for i, address in enumerate(servers, start=1)]
    return string.Template(TEMPLATE.read_text()).substitute(
        bind=bind,
        servers="\n".join(lines),
        stats_socket=stats_socket,
        max_body=MAX_BODY,
        health=HEALTH,
    )


def cores() -> int:
    """CPU cores this process may use (a container's limit where the OS knows it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def replica_env(replicas: int) -> dict[str, str]:
    """Each replica's environment: TensorFlow's thread pools sized cores / N, and
    X-Forwarded-For trusted from HAProxy only (the hub's per-client limits read it)."""
    threads = str(max(1, cores() // replicas))
    return {
        **os.environ,
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "HUB_TRUSTED_PROXIES": PROXY,
    }


def find_haproxy(install: bool = True) -> str:
    """HAProxy's executable: $HUB_HAPROXY, else `haproxy` on PATH or in /usr/sbin, else
    (as root on Debian, as `make test` does for Chromium) Debian's package installed.
    Prints the choice; exits with what to install when there is none."""
    if os.environ.get("HUB_HAPROXY"):
        print(f"haproxy: {os.environ['HUB_HAPROXY']} (HUB_HAPROXY)", flush=True)
        return os.environ["HUB_HAPROXY"]
    search = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/local/sbin:/sbin"
    found = shutil.which("haproxy", path=search)
    if found:
        print(f"haproxy: {found} (already installed)", flush=True)
        return found
    debian = (
        Path("/etc/os-release").is_file()
        and "ID=debian" in Path("/etc/os-release").read_text().splitlines()
    )
    if install and os.geteuid() == 0 and debian:
        print("haproxy: none found; installing Debian's haproxy (apt-get install haproxy)")
        quiet = {"stdout": subprocess.DEVNULL, "check": True}
        subprocess.run(["apt-get", "update", "-q"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "haproxy"], **quiet)
        found = shutil.which("haproxy", path=search)
        if found:
            print(f"haproxy: {found} (apt-get install haproxy)", flush=True)
            return found
    raise SystemExit(
        "no haproxy for REPLICAS > 1: install HAProxy (Debian, Ubuntu: apt-get install "
        "haproxy; macOS: brew install haproxy), or pass HUB_HAPROXY=/path/to/haproxy"
    )


def server_states(stats_socket: str | Path) -> dict[str, dict[str, str]]:
    """HAProxy's view of each replica (``show stat`` on its stats socket), by server
    name: ``status`` (UP, DOWN, ...), ``stot`` (sessions so far), ``addr``, ..."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(str(stats_socket))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
    return {row["svname"]: row for row in rows if row["pxname"] == "replicas"}


def answers_health(port: int) -> bool:
    """Whether the hub on 127.0.0.1:``port`` answers HAProxy's health check itself."""
    return answers(f"http://127.0.0.1:{port}{HEALTH}")


def _die_with_parent() -> None:
    """In a child, before exec: SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Replica:
    name: str  # r1, r2, ...: HAProxy's server name and affinity cookie
    port: int
    process: subprocess.Popen | None = None
    started: float = 0.0
    ready: bool = False  # has passed a health check since its last start
    served: bool = False  # has passed one since the launcher started


class ReplicaSet:
    """HAProxy on ``host:port`` in front of ``n`` hub replicas; ``run()`` until stopped."""

    def __init__(self, n: int, host: str, port: int, hub_args: list[str], run_dir: Path):
        self.host, self.port, self.hub_args, self.run_dir = host, port, hub_args, run_dir
        self.env = replica_env(n)
        self.replicas = [Replica(f"r{i}", reserve_port()) for i in range(1, n + 1)]
        self.stats_socket = run_dir / "haproxy.sock"
        self.haproxy: subprocess.Popen | None = None

    def start_replica(self, replica: Replica) -> None:
        command = [sys.executable, "hub.py", *self.hub_args]
        command += ["--host", "127.0.0.1", "--port", str(replica.port)]
        replica.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # Ctrl-C reaches the launcher, which stops them in turn
            preexec_fn=_die_with_parent,
        )
        replica.started, replica.ready = time.monotonic(), False
        (self.run_dir / f"{replica.name}.pid").write_text(f"{replica.process.pid}\n")

    def start(self, haproxy: str) -> None:
        servers = [f"127.0.0.1:{r.port}" for r in self.replicas]
        config = self.run_dir / "haproxy.cfg"
        config.write_text(render(f"{self.host}:{self.port}", servers, str(self.stats_socket)))
        subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)
        threads = self.env["TF_NUM_INTRAOP_THREADS"]
        for replica in self.replicas:
            self.start_replica(replica)
            print(
                f"replica {replica.name}: python hub.py on 127.0.0.1:{replica.port} "
                f"(pid {replica.process.pid}, TensorFlow threads {threads} of {cores()} cores)",
                flush=True,
            )
        self.haproxy = subprocess.Popen(
            [haproxy, "-db", "-f", str(config)],
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        print(f"haproxy: {config} (pid {self.haproxy.pid})", flush=True)

    def states(self) -> dict[str, str]:
        try:
            return {name: row["status"] for name, row in server_states(self.stats_socket).items()}
        except OSError:  # HAProxy still starting
            return {}

    def check(self) -> None:
        """Note replicas that came up; start again those that exited after being up;
        stop everything when HAProxy exits or a replica dies before it ever answered."""
        if self.haproxy.poll() is not None:
            raise SystemExit(f"haproxy exited ({self.haproxy.returncode})")
        states = self.states()
        for replica in self.replicas:
            code = replica.process.poll()
            if code is None:
                up = states.get(replica.name, "").startswith("UP")
                if not replica.ready and up and answers_health(replica.port):
                    replica.ready = replica.served = True
                    print(f"replica {replica.name}: up", flush=True)
                elif not replica.ready and time.monotonic() - replica.started > START_S:
                    raise SystemExit(f"replica {replica.name} did not answer in {START_S} s")
                continue
            if not replica.served:  # a bad option or a broken checkout: stop, say so
                raise SystemExit(f"replica {replica.name} exited during start-up ({code})")
            if time.monotonic() - replica.started < RETRY_S:
                continue  # it died while starting again: wait a little before the next try
            print(f"replica {replica.name}: exited ({code}); starting it again", flush=True)
            self.start_replica(replica)

    def run(self) -> None:
        announced = False
        while True:
            self.check()
            if not announced and all(r.ready for r in self.replicas):
                url = f"http://{self.host}:{self.port}"
                print(f"serving on {url} ({len(self.replicas)} replicas behind HAProxy)")
                print("Ctrl-C or `make stop` stops them all", flush=True)
                announced = True
            time.sleep(0.5)

    def stop(self) -> None:
        children = [r.process for r in self.replicas if r.process] + [self.haproxy]
        children = [p for p in children if p is not None and p.poll() is None]
        for process in children:
            process.terminate()
        deadline = time.monotonic() + STOP_S
        for process in children:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def stop_all() -> int:
    """SIGTERM to every replica set started from this checkout (their pid files)."""
    stopped = 0
    for pidfile in sorted(PIDS.glob("*.pid")):
        pid = int(pidfile.read_text())
        if "deploy.replicas" in command_line(pid):
            os.kill(pid, signal.SIGTERM)
            print(f"stopped the replicas on port {pidfile.stem} (launcher pid {pid})")
            stopped += 1
        pidfile.unlink(missing_ok=True)
    if not stopped:
        print("nothing to stop: no `make run REPLICAS=N` running from this checkout")
    return stopped


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="hub processes (default 2)")
    parser.add_argument("--host", default="127.0.0.1", help="HAProxy's address")
    default_port = int(os.environ.get("GRADIO_SERVER_PORT", PORT))
    parser.add_argument("--port", type=int, default=default_port, help="HAProxy's port")
    parser.add_argument("--run-dir", type=Path, help="for haproxy.cfg, its socket, pid files")
    parser.add_argument("--stop", action="store_true", help="stop every set started here")
    parser.add_argument("--config", action="store_true", help="print a config for --servers")
    parser.add_argument("--servers", default="", help="with --config: host:port,host:port")
    args, hub_args = parser.parse_known_args(argv)
    if "--share" in hub_args:
        parser.error("--share would share one replica, not HAProxy: leave it out")
    return args, hub_args


def main(argv: list[str] | None = None) -> None:
    args, hub_args = parse_args(argv)
    if args.stop:
        stop_all()
        return
    if args.config:
        servers = [s.strip() for s in args.servers.split(",") if s.strip()]
        if not servers:
            raise SystemExit("--config needs --servers host:port[,host:port...]")
        print(render(f"{args.host}:{args.port}", servers, "/run/haproxy/hub.sock"), end="")
        return
    if args.replicas < 1:
        raise SystemExit("--replicas must be 1 or more")
    haproxy = find_haproxy()
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="hub-replicas-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(exist_ok=True)
    pidfile = PIDS / f"{args.port}.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    replica_set = ReplicaSet(args.replicas, args.host, args.port, hub_args, run_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `make stop`: the finally below
    try:
        replica_set.start(haproxy)
        replica_set.run()
    except KeyboardInterrupt:
        pass
    finally:
        replica_set.stop()
        pidfile.unlink(missing_ok=True)
        if args.run_dir is None:
            shutil.rmtree(run_dir, ignore_errors=True)
        print("stopped HAProxy and every replica", flush=True)


if __name__ == "__main__":
    main()
