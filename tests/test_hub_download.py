"""Weights that come from the Hub at a pinned revision, against a real Hub server: olah
(tests/olah_hub.py) serving git mirrors of the model repos, with HF_ENDPOINT pointing at
it. Each check resolves the weights in a fresh process, from a copy of core/ without
weights/, as a Space uploaded without them would: a newer revision is not used until the
pin changes; a damaged or half-downloaded cache is fetched again once; a revision that
fails its manifest on the Hub, an unknown repo or revision, or no network each end in a
message that says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from olah_hub import commit_folder

from core import ROOT
from training.common.publish import hub_layout

CNN = "digits_recognition_cnn"
REPO = "ns/digits_recognition_cnn"


@pytest.fixture
def space(tmp_path):
    """core/ as a Space holds it when uploaded without weights/, with no pins yet."""
    folder = tmp_path / "space"
    shutil.copytree(ROOT / "core", folder / "core", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "core" / "hub_pins.json").write_text("{}\n")
    return folder


def publish(olah, tmp_path: Path, change: str = "", tamper: bool = False) -> dict:
    """The checkout's CNN weights in their Hub layout (what `--push` uploads) as a new
    commit of the mirror; ``change`` makes its metrics differ; ``tamper`` changes the
    weights file after the manifest was written. Returns the pin of that commit."""
    source = ROOT / "weights" / CNN
    if change:
        source = shutil.copytree(source, tmp_path / "changed" / CNN, dirs_exist_ok=True)
        metrics = json.loads((source / "metrics.json").read_text())
        (source / "metrics.json").write_text(json.dumps({**metrics, "note": change}))
    staging = tmp_path / f"staging-{len(list(tmp_path.glob('staging-*')))}"
    files = hub_layout(CNN, source, staging, REPO)
    if tamper:
        (staging / "model.weights.h5").write_bytes(b"tampered on the Hub")
    return {"repo": REPO, "revision": commit_folder(olah.mirrors, REPO, staging), "files": files}


def pin(space: Path, pins: dict) -> None:
    (space / "core" / "hub_pins.json").write_text(json.dumps(pins, indent=2))


def resolve(space: Path, olah, tmp_path: Path, offline: bool = False):
    """``core.weights.resolve(CNN)`` in a fresh process: (the folder or None, stderr)."""
    env = {
        **os.environ,
        "HF_ENDPOINT": olah.url,
        "HF_HUB_OFFLINE": "1" if offline else "0",
        "HF_HOME": str(tmp_path / "hf"),
    }
    check = f"from core.weights import resolve; print(resolve({CNN!r}))"
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=space, env=env, capture_output=True, text=True
    )
    if run.returncode:
        return None, run.stderr
    return Path(run.stdout.strip().splitlines()[-1]), run.stderr


def test_a_newer_revision_is_not_used_until_the_pin_changes(olah, space, tmp_path):
    first = publish(olah, tmp_path)
    pin(space, {CNN: first})
    folder, error = resolve(space, olah, tmp_path)
    assert folder is not None, error
    assert folder.name == first["revision"]

    newer = publish(olah, tmp_path, change="retrained")
    seen = len(olah.requests())
    folder, _ = resolve(space, olah, tmp_path)
    assert folder.name == first["revision"]
    assert "note" not in json.loads((folder / "metrics.json").read_text())
    assert olah.requests()[seen:] == []  # from the cache: the Hub was not asked

    pin(space, {CNN: newer})
    folder, _ = resolve(space, olah, tmp_path)
    assert folder.name == newer["revision"]
    assert json.loads((folder / "metrics.json").read_text())["note"] == "retrained"


def test_a_damaged_or_half_downloaded_cache_is_fetched_again(olah, space, tmp_path):
    published = publish(olah, tmp_path)
    pin(space, {CNN: published})
    folder, error = resolve(space, olah, tmp_path)
    assert folder is not None, error
    weights_file = (folder / "model.weights.h5").resolve()  # the blob behind the link
    good = weights_file.read_bytes()

    weights_file.write_bytes(b"damaged on disk")
    seen = len(olah.requests())
    healed, error = resolve(space, olah, tmp_path)
    assert healed == folder, error
    assert (folder / "model.weights.h5").read_bytes() == good
    fetched = [r for r in olah.requests()[seen:] if r.startswith("GET /ns/")]
    assert any(r.endswith("/model.weights.h5 200") for r in fetched)

    (folder / "metrics.json").unlink()  # an interrupted download: a file never arrived
    healed, error = resolve(space, olah, tmp_path)
    assert healed == folder and (folder / "metrics.json").is_file(), error


def test_a_revision_that_fails_its_manifest_on_the_hub_is_refused_clearly(olah, space, tmp_path):
    pin(space, {CNN: publish(olah, tmp_path, tamper=True)})
    folder, error = resolve(space, olah, tmp_path)
    assert folder is None
    assert "model.weights.h5` does not match its sha256" in error
    assert "fetching it from the Hub failed" in error and f"python -m training.{CNN}" in error


@pytest.mark.parametrize(
    "repo, revision",
    [("ns/missing", "0" * 40), (REPO, "1" * 40)],
    ids=["unknown-repo", "unknown-revision"],
)
def test_an_unknown_repo_or_revision_says_so(olah, space, tmp_path, repo, revision):
    publish(olah, tmp_path)
    pin(space, {CNN: {"repo": repo, "revision": revision, "files": ["SHA256SUMS"]}})
    folder, error = resolve(space, olah, tmp_path)
    assert folder is None
    assert f"Hub {repo}@{revision[:7]}: not in the HF cache" in error
    assert "fetching it from the Hub failed" in error and "404 Client Error" in error


def test_offline_with_nothing_cached_says_so(olah, space, tmp_path):
    pin(space, {CNN: publish(olah, tmp_path)})
    seen = len(olah.requests())
    folder, error = resolve(space, olah, tmp_path, offline=True)
    assert folder is None and "LocalEntryNotFoundError" in error
    assert olah.requests()[seen:] == []
