"""The weight store shared by every experiment.

Resolution order (design.md): ``weights/<id>/`` in the checkout, verified against its
sha256 manifest -> the Hugging Face Hub repo configured for ``<id>`` at a pinned revision,
downloaded with huggingface_hub into the HF cache -> a ``MissingWeights`` error whose
message tells a person how to get the weights. Nothing here raises past ``resolve``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import snapshot_download

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_DIR = ROOT / "weights"
MANIFEST = "SHA256SUMS"
# Hub revisions pinned by `python -m training.<id> --push` (one 40-hex commit per id).
REVISIONS_FILE = WEIGHTS_DIR / "hub_revisions.json"
HUB_NAMESPACE = os.environ.get("HUB_NAMESPACE", "ml-experiments-hub")


class MissingWeights(RuntimeError):
    """No usable weights for an experiment; the message is meant for visitors."""


@dataclass(frozen=True)
class HubRepo:
    repo_id: str
    revision: str | None  # None: never pushed, so there is nothing pinned to download


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
            raise MissingWeights(f"{path} is missing")
        if sha256_of(path) != expected:
            raise MissingWeights(f"{path} does not match its sha256 in {MANIFEST} (corrupt?)")


def hub_repo(experiment_id: str) -> HubRepo:
    revisions = json.loads(REVISIONS_FILE.read_text()) if REVISIONS_FILE.is_file() else {}
    return HubRepo(f"{HUB_NAMESPACE}/{experiment_id}", revisions.get(experiment_id))


def resolve(experiment_id: str, repo: HubRepo | None = None) -> Path:
    """Return a verified folder holding the weights of ``experiment_id``.

    Raises ``MissingWeights`` with a visitor-readable explanation when neither the
    checkout nor the Hub (at the pinned revision) can provide them.
    """
    problems = []
    local = WEIGHTS_DIR / experiment_id
    try:
        verify_manifest(local)
        return local
    except MissingWeights as error:
        problems.append(f"checkout: {error}")

    repo = repo or hub_repo(experiment_id)
    if repo.revision is None:
        problems.append(f"Hub: {repo.repo_id} has no pinned revision yet")
    else:
        try:
            folder = Path(snapshot_download(repo.repo_id, revision=repo.revision))
            verify_manifest(folder)
            return folder
        except Exception as error:  # offline, unknown repo, corrupt download...
            problems.append(f"Hub {repo.repo_id}@{repo.revision[:7]}: {type(error).__name__}")

    raise MissingWeights(
        f"The weights of `{experiment_id}` are not available ({'; '.join(problems)}). "
        f"Train them with `python -m training.{experiment_id}`, or restore "
        f"`weights/{experiment_id}/` from git, or pin a Hub revision in "
        f"`weights/hub_revisions.json`."
    )
