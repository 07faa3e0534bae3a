"""Sketch recognition, MLP and CNN (upstream experiments 3 and 4): draw a doodle, the
model says what it looks like. Each tab serves ONE Keras model: upstream's own QuickDraw
model averaged with ours (training/sketch_recognition_upstream.py), over all 345
categories; it takes both framings of the drawing at once (``core.drawing.to_both``)."""

from __future__ import annotations

import json

import gradio as gr
import numpy as np

from core.drawing import BRUSH_SIZE, to_both, to_mnist
from core.errors import BadInput
from core.experiments import Experiment
from core.models import later, load_keras, weights_file
from ui.shared import (
    classifier_fn,
    examples_of,
    follow_drawing,
    model_card_panel,
    sketchpad,
)

TOP_K = 5  # guesses returned by the API (the first is "It looks like ...")
DOC = f"""Guess what a doodle shows, among the 345 everyday object categories of QuickDraw.

Takes an image of a drawing in dark ink on a light background (as an MCP tool: a URL or a
data: URI; through the API: a sketchpad value with that image as its "composite"); returns
the {TOP_K} most likely categories with their probabilities."""


def prepare(drawing) -> np.ndarray:
    """A drawing -> the served model's 28x28x2 input (MNIST's framing for ours, QuickDraw's
    for upstream's); BadInput for an empty canvas rather than guessing from nothing."""
    return _checked(to_both(drawing))


def prepare_mnist(drawing) -> np.ndarray:
    """A drawing -> 28x28x1 in MNIST's framing: the input of ours alone, as
    ``training.sketch_recognition_<model>`` writes it before it is combined."""
    return _checked(to_mnist(drawing))[..., None]


def _checked(image: np.ndarray | None) -> np.ndarray:
    if image is None:
        raise BadInput("Draw something first: the canvas is empty.")
    return image


def preparation(model):
    """The preprocessing that ``model`` takes, read from its input's channels when a
    drawing first comes (a deferred model is not loaded before)."""

    def prepare_input(drawing) -> np.ndarray:
        return (prepare if model.input_shape[-1] == 2 else prepare_mnist)(drawing)

    return prepare_input


def top_guesses(labels: list[str]):
    """probabilities -> the TOP_K most likely categories with their probabilities."""

    def answer(probabilities: np.ndarray) -> dict[str, float]:
        best = np.argsort(probabilities)[::-1][:TOP_K]
        return {labels[i]: float(probabilities[i]) for i in best}

    return answer


def build(experiment: Experiment) -> gr.Blocks:
    model = later(load_keras, experiment.id)  # loaded once the hub serves (core/models.py)
    labels = json.loads(weights_file(experiment.id, "labels.json").read_text())

    prepare_input = preparation(model)
    metrics = experiment.metrics()
    ours_known = metrics.get("ours_labels", labels)
    extra = {
        "Categories": (
            f"{len(labels)} of QuickDraw's 345; ours knows {len(ours_known)} of them, "
            "upstream's model all (lists below and in the card)"
        ),
        "Made of": (
            f"upstream's QuickDraw model x {metrics.get('upstream_weight', '-')} + ours x "
            f"{round(1 - metrics.get('upstream_weight', 0.0), 2)}, averaged in one model"
        ),
        "Top-1 / top-3 on QuickDraw-style test doodles": (
            f"{metrics.get('frozen_doodle_accuracy', '-')} / "
            f"{metrics.get('frozen_doodle_top3_accuracy', '-')}"
        ),
        "Top-3 on the development doodles": str(metrics.get("doodle_top3_accuracy", "-")),
    }
    with gr.Blocks() as tab:
        demo = gr.Interface(
            **classifier_fn(model, prepare_input, top_guesses(labels), experiment.id, DOC),
            inputs=sketchpad("Doodle something", brush_size=BRUSH_SIZE),
            # Shown as upstream did: "It looks like" the top guess, the next ones under it.
            outputs=gr.Label(num_top_classes=TOP_K, label="It looks like"),
            examples=examples_of(experiment.family),
            # An example's answer comes with it, computed on its first click.
            cache_examples=True,
            cache_mode="lazy",
            flagging_mode="never",
            api_name=experiment.id,
        )
        follow_drawing(
            demo.input_components[0],
            demo.output_components[0],
            model,
            prepare_input,
            top_guesses(labels),
        )
        with gr.Accordion(f"The {len(labels)} categories it knows", open=False):
            gr.Markdown(", ".join(sorted(labels, key=str.lower)))
            only_upstream = sorted(set(labels) - set(ours_known), key=str.lower)
            if only_upstream:
                gr.Markdown(f"Only upstream's part knows: {', '.join(only_upstream)}.")
        model_card_panel(experiment, extra)
    return tab
