"""The end of every training run: the weights folder, metrics.json, the model card (Hub
metadata from ``card_data``, the body from its template in training/cards/), the manifest
and, asked, the Hub push."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from huggingface_hub.repocard import metadata_load, metadata_save

from core import ROOT
from core.experiments import BY_ID
from core.weights import HUB_NAMESPACE, WEIGHTS_DIR, HubPin, pins, write_manifest, write_pin

# The model cards' bodies: training/cards/<name>.md, str.format templates.
CARDS = Path(__file__).resolve().parent.parent / "cards"


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


def card_data(
    tags: list[str], license: str = "mit", library_name: str = "keras", **fields
) -> ModelCardData:
    """A model card's Hub metadata: its ``tags``, licence and library, and any other
    ModelCardData ``fields`` (model_name, datasets, pipeline_tag, eval_results...)."""
    return ModelCardData(license=license, library_name=library_name, tags=tags, **fields)


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


def save_for_serving(model, path: Path) -> None:
    """The model without its optimizer state (Adam's moments would double or triple it)."""
    # From the config alone: keras.models.clone_model (Keras >= 3.1x) copies the optimizer.
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    copy.save(path)
