"""Every benchmark under bench/ still runs: each module (all but the shared helpers) is
run as `python -m bench.<name> --smoke`, a run of a few seconds, and must exit 0 after
printing figures. A new bench module is picked up by its file name alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from core import ROOT

HELPERS = {"__init__", "common"}
BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in HELPERS)
# "12.3 ms", "4.0/s", "48.2 req/s", "1,003 MB", "7.7 s", "1.16x"
FIGURE = re.compile(r"\d[\d,]*(\.\d+)?\s*(ms|/s|req/s|MB|s|x)\b")


def test_every_bench_module_is_found():
    assert {"digits", "footprint", "hostile", "load", "photos", "webcam"} <= set(BENCHES)


def smoke_run(name: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def smoke_runs():
    """Every bench's smoke run, two at a time (each mostly starts a hub: one core's work),
    started together when the first test asks; each test waits for its own."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(smoke_run, name) for name in BENCHES}


@pytest.mark.parametrize("name", BENCHES)
def test_bench_runs_in_smoke_mode_and_prints_figures(name, smoke_runs):
    done = smoke_runs[name].result()
    assert done.returncode == 0, f"bench.{name} exited {done.returncode}:\n{done.stderr[-3000:]}"
    figures = FIGURE.findall(done.stdout)
    assert len(figures) >= 2, f"bench.{name} printed no figures:\n{done.stdout[-2000:]}"
