"""The weight store shared by every experiment.

Resolution order (design.md): where ``core/hub_pins.json`` pins a Hub revision for
``<id>``, that revision, downloaded with huggingface_hub into the HF cache (on a Space,
README's ``preload_from_hub`` has put it there at build time, so nothing is downloaded at
start-up) -> else, or when that fails, ``weights/<id>/`` in the checkout -> a
``MissingWeights`` error whose message tells a person what is wrong and how to get the
weights. Every folder served is verified against its sha256 manifest. Nothing here raises
past ``resolve`` but ``MissingWeights``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from huggingface_hub import snapshot_download

from core import ROOT

WEIGHTS_DIR = ROOT / "weights"
MANIFEST = "SHA256SUMS"
# Hub revisions pinned by `python -m training.<id> --push`: id -> repo, commit, files.
PINS_FILE = Path(__file__).resolve().parent / "hub_pins.json"
HUB_NAMESPACE = os.environ.get("HUB_NAMESPACE", "ml-experiments-hub")


class MissingWeights(RuntimeError):
    """No usable weights for an experiment; the message is meant for visitors."""


@dataclass(frozen=True)
class HubPin:
    """One experiment's weights on the Hub: a repo at one commit, and the files it holds."""

    repo_id: str
    revision: str  # a 40-hex commit sha
    files: tuple[str, ...]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path) -> Path:
    """Write ``SHA256SUMS`` (sha256sum format) over every other file in ``folder``."""
    lines = [
        f"{sha256_of(path)}  {path.relative_to(folder).as_posix()}"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    ]
    manifest = folder / MANIFEST
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def verify_manifest(folder: Path) -> None:
    """Raise ``MissingWeights`` unless every file listed in the manifest matches."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise MissingWeights(f"{folder} has no {MANIFEST} manifest")
    for line in manifest.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        path = folder / name
        if not path.is_file():
            raise MissingWeights(f"`{name}` is missing from {folder}")
        if sha256_of(path) != expected:
            raise MissingWeights(f"`{name}` does not match its sha256 in {MANIFEST} (corrupt?)")


def pins() -> dict[str, HubPin]:
    """Every pinned Hub revision, by experiment id (none when the file is absent)."""
    if not PINS_FILE.is_file():
        return {}
    raw = json.loads(PINS_FILE.read_text())
    return {
        experiment_id: HubPin(pin["repo"], pin["revision"], tuple(pin["files"]))
        for experiment_id, pin in raw.items()
    }


def write_pin(experiment_id: str, pin: HubPin) -> None:
    """Record (or replace) an experiment's pin in core/hub_pins.json."""
    raw = json.loads(PINS_FILE.read_text()) if PINS_FILE.is_file() else {}
    raw[experiment_id] = {"repo": pin.repo_id, "revision": pin.revision, "files": list(pin.files)}
    PINS_FILE.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")


@cache
def download(pin: HubPin) -> Path:
    """The pinned snapshot in the HF cache, verified against its manifest: from the cache
    alone when it is there and whole (a Space's preload), else fetched from the Hub once
    more, every file anew (the cache may hold half a snapshot, or a damaged file, that
    huggingface_hub would otherwise trust); ``MissingWeights`` when that fails too."""
    arguments = {"revision": pin.revision, "allow_patterns": list(pin.files)}
    try:
        folder = Path(snapshot_download(pin.repo_id, local_files_only=True, **arguments))
        verify_manifest(folder)
        return folder
    except MissingWeights as error:  # half cached, or a file damaged on disk
        cached = f"the cached copy failed its manifest ({error}), and fetching it again"
    except Exception:  # not cached
        cached = "not in the HF cache, and fetching it"
    try:
        folder = Path(snapshot_download(pin.repo_id, force_download=True, **arguments))
        verify_manifest(folder)
    except Exception as error:  # offline, unknown repo or revision, corrupt on the Hub
        raise MissingWeights(f"{cached} from the Hub failed ({_first_line(error)})") from error
    return folder


def _first_line(error: Exception) -> str:
    first_line = (str(error).splitlines() or [""])[0][:160]
    return f"{type(error).__name__}: {first_line}"


def resolve(experiment_id: str) -> Path:
    """Return a verified folder holding the weights of ``experiment_id``.

    Raises ``MissingWeights`` with a visitor-readable explanation when neither the
    pinned Hub revision nor the checkout can provide them.
    """
    problems = []
    pin = pins().get(experiment_id)
    if pin is not None:
        try:
            return download(pin)
        except MissingWeights as error:
            problems.append(f"Hub {pin.repo_id}@{pin.revision[:7]}: {error}")
    local = WEIGHTS_DIR / experiment_id
    try:
        verify_manifest(local)
        return local
    except MissingWeights as error:
        problems.append(f"checkout: {error}")
    if pin is None:
        problems.append("no Hub revision pinned")
    raise MissingWeights(
        f"The weights of `{experiment_id}` are not available ({'; '.join(problems)}). "
        f"Train them with `python -m training.{experiment_id}`, or restore "
        f"`weights/{experiment_id}/` from git, or pin a Hub revision in `core/hub_pins.json`."
    )
