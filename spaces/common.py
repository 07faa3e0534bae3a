"""Pieces every tab shares: the Experiment record, model loading, the model-card panel."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from spaces.weights import MissingWeights, resolve

# Gradio's batching for the drawing and photo classifiers: with HUB_MAX_BATCH > 1, up to
# that many queued requests to one model share one call. Off by default: bench/load.py
# --batch measured no gain here, and one bad request in a batch fails the whole batch.
MAX_BATCH = int(os.environ.get("HUB_MAX_BATCH", "1"))

DISCLAIMER = (
    "These are experiments: the models are small, were trained on small offline data "
    "and make mistakes."
)


@dataclass(frozen=True)
class Experiment:
    """What the Home tab and README know about one experiment."""

    id: str  # names the module, training module, weights folder and API endpoint
    title: str
    description: str  # one line
    input_kind: str  # "Sketchpad", "Webcam or image", "Textbox", ...
    data: str  # the data actually used, in a few words
    metric: str  # key in metrics.json shown on the card, e.g. "test_accuracy"
    metric_label: str  # what that figure measures, e.g. "held-out MNIST accuracy"
    upstream: str  # upstream's figure, with what it measured
    similar: str | None = None  # id of the similar experiment, linked from the tab

    def metrics(self) -> dict:
        """metrics.json from the resolved weights, or {} when there are none."""
        try:
            return json.loads((resolve(self.id) / "metrics.json").read_text())
        except (MissingWeights, FileNotFoundError):
            return {}

    def figure(self) -> str:
        value = self.metrics().get(self.metric)
        if value is None:
            return "not measured yet"
        return f"{value:.4f}" if isinstance(value, float) else str(value)


def load_keras(experiment_id: str, filename: str = "model.keras"):
    """Load a Keras model from the weight store once (safe_mode on, no compile)."""
    import keras

    path = resolve(experiment_id) / filename
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def classify_each(model, prepare, answer):
    """A one-input classifier's request function: a value -> its answer.

    ``prepare(value)`` is the model's input for one request (gr.Error on bad input),
    ``answer(probabilities)`` the output shown for one.
    """

    def classify(value):
        probabilities = np.asarray(model.predict_on_batch(prepare(value)[None]))[0]
        return answer(probabilities)

    return classify


def classifier_fn(model, prepare, answer) -> dict:
    """gr.Interface's ``fn`` for a one-input classifier; with MAX_BATCH > 1 a gradio
    batch function (a list of values in, one model call) and its batch arguments."""
    if MAX_BATCH == 1:
        return {"fn": classify_each(model, prepare, answer)}

    def classify_all(values: list) -> list[list]:
        x = np.stack([prepare(value) for value in values])
        return [[answer(row) for row in np.asarray(model.predict_on_batch(x))]]

    return {"fn": classify_all, "batch": True, "max_batch_size": MAX_BATCH}


def weights_file(experiment_id: str, filename: str) -> Path:
    return resolve(experiment_id) / filename


def tab_header(experiment: Experiment) -> None:
    """Title, description and the similar-experiment link, inside the current Blocks.

    The link is a button that hub.py wires to select the similar experiment's tab.
    """
    with gr.Row():
        gr.Markdown(f"## {experiment.title}\n{experiment.description}")
        if experiment.similar:
            gr.Button(
                f"Similar experiment: {_title_of(experiment.similar)} →",
                size="sm",
                scale=0,
                elem_id=f"{experiment.id}-similar",
            )


def sketchpad(label: str, brush_size: int = 24) -> gr.Sketchpad:
    """A white canvas with a thick black brush, shared by every drawing tab.

    The function gets a dict whose "composite" is the drawing (RGBA, opaque); pass it to
    spaces.sketch.to_mnist. A visitor picks the brush tool first, as in Gradio itself.
    """
    pad = gr.Sketchpad(
        label=label,
        canvas_size=(400, 400),
        brush=gr.Brush(default_size=brush_size, colors=["#000000"], color_mode="fixed"),
        type="numpy",
    )
    return with_clear_error(pad, "The drawing is not an image (send a PNG, JPEG or WebP).")


def with_clear_error(component, message):
    """``component``, made to answer a value it cannot read with gr.Error(message) rather
    than gradio's generic "Error". A browser never sends such values (a truncated file,
    text for a slider); an API client can. ``message`` may be a function of the payload.

    Wrapped per instance: gradio calls the instance's preprocess, and a component subclass
    would make gradio write a .pyi stub next to the module at import.
    """
    plain = component.preprocess

    def preprocess(payload):
        try:
            return plain(payload)
        except gr.Error:
            raise
        except Exception as error:  # UnidentifiedImageError, TypeError, ValueError...
            raise gr.Error(message(payload) if callable(message) else message) from error

    component.preprocess = preprocess
    return component


def model_card_panel(experiment: Experiment, extra: dict[str, str] | None = None) -> None:
    """A short panel of the model-card figures, inside the current Blocks."""
    metrics = experiment.metrics()
    rows = [
        ("Data", experiment.data),
        (experiment.metric_label, experiment.figure()),
        ("Upstream", experiment.upstream),
    ]
    for key in ("train_size", "test_size", "params"):
        if key in metrics:
            rows.append((key.replace("_", " ").capitalize(), f"{metrics[key]:,}"))
    rows += list((extra or {}).items())
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    with gr.Accordion("Model card", open=False):
        gr.Markdown(
            f"| | |\n|---|---|\n{table}\n\nFull card: `weights/{experiment.id}/README.md`. "
            f"{DISCLAIMER}"
        )


def unavailable(experiment: Experiment, error: Exception) -> gr.Blocks:
    """The tab shown when an experiment cannot be served: says why and how to fix it."""
    with gr.Blocks() as tab:
        tab_header(experiment)
        gr.Markdown(f"⚠️ **This experiment is unavailable.** {error}")
    return tab


def _title_of(experiment_id: str) -> str:
    from spaces.registry import experiments

    return next((e.title for e in experiments() if e.id == experiment_id), experiment_id)
