"""Sketch recognition, MLP and CNN (upstream experiments 3 and 4): draw a doodle, the
model says what it looks like."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np

from spaces.common import (
    Experiment,
    classifier_fn,
    classify_each,
    load_keras,
    model_card_panel,
    sketchpad,
    tab_header,
    weights_file,
)
from spaces.sketch import to_mnist

EXAMPLES = Path(__file__).parent / "examples" / "sketches"
DATA = (
    "Not QuickDraw: icons (line art, emoji, silhouettes) from npm icon sets, mapped to "
    "QuickDraw categories, simplified to doodles and re-drawn by hand (augmented); one set "
    "held out; scored on 261 doodles authored as canvas strokes"
)
TOP_K = 5  # guesses returned by the API (the first is "It looks like ...")
BRUSH_SIZE = 12  # the canvas brush, px on the 400-px canvas (the doodle test set uses it too)

EXPERIMENTS = [
    Experiment(
        id="sketch_recognition_mlp",
        title="Sketch recognition (MLP)",
        description="Doodle an everyday object; a multilayer perceptron guesses what it is.",
        input_kind="Sketchpad",
        data=DATA,
        metric="doodle_accuracy",
        metric_label="Top-1 accuracy on 261 authored doodles",
        upstream="0.61 (real QuickDraw doodles: different data)",
        similar="sketch_recognition_cnn",
    ),
    Experiment(
        id="sketch_recognition_cnn",
        title="Sketch recognition (CNN)",
        description="Doodle an everyday object; a convolutional network guesses what it is.",
        input_kind="Sketchpad",
        data=DATA,
        metric="doodle_accuracy",
        metric_label="Top-1 accuracy on 261 authored doodles",
        upstream="0.67 (real QuickDraw doodles: different data)",
        similar="sketch_recognition_mlp",
    ),
]


def prepare(drawing) -> np.ndarray:
    """A drawing -> the network's 28x28x1 input; gr.Error for an empty canvas rather
    than guessing from nothing."""
    image = to_mnist(drawing)
    if image is None:
        raise gr.Error("Draw something first: the canvas is empty.")
    return image[..., None]


def top_guesses(labels: list[str]):
    """probabilities -> the TOP_K most likely categories with their probabilities."""

    def answer(probabilities: np.ndarray) -> dict[str, float]:
        best = np.argsort(probabilities)[::-1][:TOP_K]
        return {labels[i]: float(probabilities[i]) for i in best}

    return answer


def guesses(model, labels: list[str], drawing) -> dict[str, float]:
    """A drawing -> the TOP_K most likely categories with their probabilities."""
    return classify_each(model, prepare, top_guesses(labels))(drawing)


def build(experiment: Experiment) -> gr.Blocks:
    model = load_keras(experiment.id)
    labels = json.loads(weights_file(experiment.id, "labels.json").read_text())

    metrics = experiment.metrics()
    extra = {
        "Categories": f"{len(labels)} of QuickDraw's 345 (list in the card)",
        "Top-3 accuracy on the doodles": str(metrics.get("doodle_top3_accuracy", "-")),
        "Top-1 / top-3 on a held-out icon set": (
            f"{metrics.get('test_accuracy', '-')} / {metrics.get('test_top3_accuracy', '-')}"
        ),
    }
    with gr.Blocks() as tab:
        tab_header(experiment)
        gr.Interface(
            **classifier_fn(model, prepare, top_guesses(labels)),
            inputs=sketchpad("Doodle something (pick the brush first)", brush_size=BRUSH_SIZE),
            # Shown as upstream did: "It looks like" the top guess, the next ones under it.
            outputs=gr.Label(num_top_classes=TOP_K, label="It looks like"),
            examples=sorted(str(p) for p in EXAMPLES.glob("*.png")),
            cache_examples=False,
            flagging_mode="never",
            api_name=experiment.id,
        )
        with gr.Accordion(f"The {len(labels)} categories it knows", open=False):
            gr.Markdown(", ".join(sorted(labels, key=str.lower)))
        model_card_panel(experiment, extra)
    return tab
