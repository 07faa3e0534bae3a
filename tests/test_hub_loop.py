"""The mission's loop, end to end, against a real Hub server for every download (olah,
tests/olah_hub.py) and huggingface_hub's own upload code for the push (its HTTP client
answered by ``CommitAPI``, which writes each commit into olah's git mirror):

1. a tiny training run of one id with ``--push``, in a copy of the repo;
2. what it uploaded is a commit of the mirror, in Keras' Hub layout;
3. the copy's core/hub_pins.json and README front matter (``models``,
   ``preload_from_hub``) name that commit (the checkout's own stay as they are);
4. a Space build: each ``preload_from_hub`` line fetched with ``snapshot_download`` into a
   fresh HF_HOME;
5. ``python hub.py`` started as a Space starts it, from a copy without weights/, with
   HF_HUB_OFFLINE=1 and MCP on, answers through gradio_client and through MCP (its tool
   named with the Space's prefix) with the pushed model's own output, and asks the Hub
   for nothing; a pin whose repo was never preloaded costs only its own tab.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from huggingface_hub.repocard import metadata_load
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from olah_hub import git
from PIL import Image

from core import ROOT
from core.drawing import to_mnist
from core.weights import HUB_NAMESPACE
from deploy.processes import reserve_port, stop_group
from helpers import start_like_a_space, wait_for_client

EXPERIMENT = "digits_recognition_mlp"
REPO_ID = f"{HUB_NAMESPACE}/{EXPERIMENT}"
SPACE_ID = "me/hub"  # gradio prefixes every MCP tool with the Space's name: "hub_"
DIGIT = ROOT / "ui" / "examples" / "digits_recognition" / "3.png"
START_TIMEOUT = 300  # seconds: gradio and TensorFlow on a busy 2-core machine
# A subprocess that runs `python -m training.<id> ...` with huggingface_hub's HTTP client
# answered by CommitAPI (tests/olah_hub.py) for the commit API, olah for the rest.
TRAIN = """
import runpy, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from olah_hub import use_commit_api
use_commit_api(Path({mirrors!r}))
sys.argv = {argv!r}
runpy.run_module("training.{experiment}", run_name="__main__")
"""


def copy_repo(destination: Path) -> Path:
    """The app, its training code and README, as a clone holds them, without weights/."""
    destination.mkdir(parents=True)
    for name in ("hub.py", "README.md"):
        shutil.copy(ROOT / name, destination)
    for package in ("core", "ui", "training"):
        ignore = shutil.ignore_patterns("__pycache__", ".gradio")
        shutil.copytree(ROOT / package, destination / package, ignore=ignore)
    return destination


def train_and_push(repo: Path, olah, hf_home: Path) -> subprocess.CompletedProcess:
    argv = [EXPERIMENT, "--smoke", "--epochs", "1", "--push"]
    code = TRAIN.format(
        tests=str(ROOT / "tests"), mirrors=str(olah.mirrors), argv=argv, experiment=EXPERIMENT
    )
    env = {
        **os.environ,
        "HF_ENDPOINT": olah.url,
        "HF_HUB_OFFLINE": "0",
        "HF_HOME": str(hf_home),
        "HF_TOKEN": "hf_loop_test_token",  # what CI would hold; the commit API takes any
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True
    )


def build_space(front: dict, olah, hf_home: Path) -> None:
    """What a Space build does with README's preload_from_hub: fetch each repo's pinned
    files at the pinned revision into the HF cache."""
    fetch = (
        "import sys\n"
        "from huggingface_hub import snapshot_download\n"
        "repo, files, revision = sys.argv[1].split(' ')\n"
        "snapshot_download(repo, revision=revision, allow_patterns=files.split(','))\n"
    )
    env = {**os.environ, "HF_ENDPOINT": olah.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(hf_home)}
    for line in front["preload_from_hub"]:
        subprocess.run([sys.executable, "-c", fetch, line], env=env, check=True, timeout=300)


def start_space(space: Path, olah, hf_home: Path, port: int) -> subprocess.Popen:
    return start_like_a_space(
        [sys.executable, "hub.py"],
        port,
        cwd=space,
        space_id=SPACE_ID,
        GRADIO_MCP_SERVER="True",
        HF_HOME=str(hf_home),
        HF_HUB_OFFLINE="1",
        HF_ENDPOINT=olah.url,  # were anything fetched, olah's log would show it
    )


async def call_tool(url: str, name: str, arguments: dict):
    async with streamable_http_client(f"{url}gradio_api/mcp/") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = [tool.name for tool in (await session.list_tools()).tools]
            return tools, await session.call_tool(name, arguments)


def own_output(snapshot: Path) -> dict[str, float]:
    """The pushed model's probabilities for the example digit, computed here."""
    import keras

    model = keras.saving.load_model(snapshot, compile=False)
    x = to_mnist(Image.open(DIGIT))[None, ..., None]
    probabilities = np.asarray(model.predict_on_batch(x))[0]
    return {str(digit): float(p) for digit, p in enumerate(probabilities)}


def test_train_push_pin_preload_and_serve_offline_as_a_space(olah, tmp_path):
    checkout_pins = (ROOT / "core" / "hub_pins.json").read_text()
    checkout_readme = (ROOT / "README.md").read_text()

    # 1. Train one id for one step and push it.
    repo = copy_repo(tmp_path / "repo")
    run = train_and_push(repo, olah, tmp_path / "train-hf")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]

    # 2. The upload is the mirror's newest commit, in Keras' Hub layout.
    mirror = olah.mirrors / "models" / REPO_ID
    head = git(mirror, "rev-parse", "HEAD")
    committed = set(git(mirror, "ls-tree", "-r", "--name-only", head).splitlines())
    assert {"config.json", "metadata.json", "model.weights.h5", "SHA256SUMS"} <= committed
    assert "model.keras" not in committed and ".gitattributes" in committed
    assert f"pushed {repo / 'weights' / EXPERIMENT} to {REPO_ID} at {head}" in run.stdout

    # 3. The copy's pins and README front matter name that commit; the checkout's do not.
    pinned = json.loads((repo / "core" / "hub_pins.json").read_text())[EXPERIMENT]
    assert pinned["repo"] == REPO_ID and pinned["revision"] == head
    assert set(pinned["files"]) == committed - {".gitattributes"}
    front = metadata_load(repo / "README.md")
    assert front["models"] == [REPO_ID]
    assert front["preload_from_hub"] == [f"{REPO_ID} {','.join(pinned['files'])} {head}"]
    assert front["sdk"] == "gradio" and front["app_file"] == "hub.py"  # the rest is kept
    assert (ROOT / "core" / "hub_pins.json").read_text() == checkout_pins
    assert (ROOT / "README.md").read_text() == checkout_readme

    # 4. The Space build fetches each preload_from_hub line into a fresh HF_HOME.
    space_hf = tmp_path / "space-hf"
    build_space(front, olah, space_hf)
    snapshot = space_hf / "hub" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots" / head
    assert sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*")) == sorted(
        pinned["files"]
    )

    # 5. The Space: no weights/, offline; one more pin whose repo was never preloaded.
    space = tmp_path / "space"
    shutil.copytree(repo, space, ignore=shutil.ignore_patterns("weights"))
    space_pins = json.loads((space / "core" / "hub_pins.json").read_text())
    space_pins["digits_recognition_cnn"] = {
        "repo": "ns/missing",
        "revision": "0" * 40,
        "files": ["SHA256SUMS"],
    }
    (space / "core" / "hub_pins.json").write_text(json.dumps(space_pins))
    asked_before = len(olah.requests())
    port = reserve_port()
    url = f"http://127.0.0.1:{port}/"
    process = start_space(space, olah, space_hf, port)
    try:
        client = wait_for_client(process, url, START_TIMEOUT)
        drawing = {"background": None, "layers": [], "composite": handle_file(str(DIGIT))}
        answer = client.predict(drawing, api_name=f"/{EXPERIMENT}")
        served = {c["label"]: c["confidence"] for c in answer["confidences"]}
        expected = own_output(snapshot)
        assert answer["label"] == max(expected, key=expected.get)
        for digit, probability in served.items():
            assert probability == pytest.approx(expected[digit], abs=1e-5)

        image = f"data:image/png;base64,{base64.b64encode(DIGIT.read_bytes()).decode()}"
        tool = f"{SPACE_ID.split('/')[1]}_{EXPERIMENT}"
        tools, result = asyncio.run(call_tool(url, tool, {"value": image}))
        assert tool in tools and not result.isError, result.content
        assert f"'label': '{answer['label']}'" in result.content[0].text

        page = httpx.get(f"{url}config", timeout=30).text
        assert "This experiment is unavailable" in page and "ns/missing" in page
        assert olah.requests()[asked_before:] == []  # served from the preloaded cache
    finally:
        stop_group(process)
