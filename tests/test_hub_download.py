"""Weights that come from the Hub at a pinned revision, against a real HTTP server that
speaks the Hub's download API (tests/hub_server.py) on 127.0.0.1, with HF_ENDPOINT
pointing at it: a Space uploaded without weights/ pulls the pinned revisions, verifies
them and serves; a newer revision is not used until the pin changes; a missing repo
costs only its own tab."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from hub_server import HubServer

from conftest import ROOT
from training.common import hub_layout

CNN, MLP = "digits_recognition_cnn", "digits_recognition_mlp"
START_TIMEOUT = 240


@pytest.fixture
def hub():
    with HubServer() as server:
        yield server


@pytest.fixture
def space(tmp_path):
    """The app as a Space holds it when uploaded without weights/ (hub.py, core/, ui/)."""
    folder = tmp_path / "space"
    folder.mkdir()
    shutil.copy(ROOT / "hub.py", folder)
    for package in ("core", "ui"):
        shutil.copytree(
            ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    (folder / "core" / "hub_pins.json").write_text("{}\n")
    return folder


def publish(hub: HubServer, tmp_path: Path, experiment_id: str, change: str = "") -> dict:
    """Push the checkout's weights of ``experiment_id`` in their Hub layout (what
    `--push` uploads) as a new commit; ``change`` makes this commit's metrics differ."""
    repo_id = f"ns/{experiment_id}"
    staging = (
        tmp_path / f"commit-{len(hub.repos.get(repo_id).commits) if repo_id in hub.repos else 0}"
    )
    source = ROOT / "weights" / experiment_id
    if change:
        source = shutil.copytree(source, tmp_path / "changed" / experiment_id)
        metrics = json.loads((source / "metrics.json").read_text())
        metrics["note"] = change
        (source / "metrics.json").write_text(json.dumps(metrics))
    files = hub_layout(experiment_id, source, staging, repo_id)
    return {"repo": repo_id, "revision": hub.push(repo_id, staging), "files": files}


def pin(space: Path, pins: dict) -> None:
    (space / "core" / "hub_pins.json").write_text(json.dumps(pins, indent=2))


def environment(hub: HubServer, tmp_path: Path) -> dict:
    return {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_HUB_OFFLINE": "0",
        "HF_HOME": str(tmp_path / "hf"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def resolved(space: Path, env: dict, experiment_id: str) -> Path:
    check = f"from core.weights import resolve; print(resolve({experiment_id!r}))"
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=space, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return Path(run.stdout.strip().splitlines()[-1])


def test_a_newer_revision_is_not_used_until_the_pin_changes(hub, space, tmp_path):
    env = environment(hub, tmp_path)
    first = publish(hub, tmp_path, CNN)
    pin(space, {CNN: first})
    assert resolved(space, env, CNN).name == first["revision"]

    newer = publish(hub, tmp_path, CNN, change="retrained")
    hub.requests.clear()
    folder = resolved(space, env, CNN)
    assert folder.name == first["revision"]
    assert "note" not in json.loads((folder / "metrics.json").read_text())
    assert not any(newer["revision"] in r or "/main" in r for r in hub.requests)

    pin(space, {CNN: newer})
    folder = resolved(space, env, CNN)
    assert folder.name == newer["revision"]
    assert json.loads((folder / "metrics.json").read_text())["note"] == "retrained"


def test_a_corrupt_download_is_refused(hub, space, tmp_path):
    published = publish(hub, tmp_path, CNN)
    _, folder = hub.repos[published["repo"]].commits[-1]
    (folder / "model.weights.h5").write_bytes(b"tampered on the server")
    pin(space, {CNN: published})
    check = f"from core.weights import resolve; resolve({CNN!r})"
    env = environment(hub, tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=space, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0 and "does not match its sha256" in run.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_weights_the_hub_serves_pinned_revisions_and_a_missing_repo_costs_its_tab(
    hub, space, tmp_path
):
    missing = {"repo": "ns/missing", "revision": "0" * 40, "files": ["SHA256SUMS"]}
    pin(space, {CNN: publish(hub, tmp_path, CNN), MLP: missing})
    port = free_port()
    command = [sys.executable, "hub.py", "--only", f"{CNN},{MLP}", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=space,
        env=environment(hub, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        client = None
        deadline = time.monotonic() + START_TIMEOUT
        while client is None and time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(process.stdout.read())
            try:
                client = Client(url, verbose=False, analytics_enabled=False)
            except Exception:
                time.sleep(1)
        assert client is not None, "the hub did not start"
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert f"/{CNN}" in endpoints and f"/{MLP}" not in endpoints
        digit = space / "ui" / "examples" / "digits_recognition" / "3.png"
        value = {"background": None, "layers": [], "composite": handle_file(str(digit))}
        assert client.predict(value, api_name=f"/{CNN}")["label"] == "3"
        import httpx

        page = httpx.get(f"{url}config", timeout=30).text
        assert "This experiment is unavailable" in page and "ns/missing" in page
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
