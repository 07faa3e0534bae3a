"""Digits recognition, MLP and CNN (upstream experiments 1 and 2): draw a digit, get it."""

from __future__ import annotations

import gradio as gr
import numpy as np

from core.drawing import to_mnist
from core.errors import BadInput
from core.experiments import Experiment
from core.models import later, load_keras
from ui.shared import (
    classifier_fn,
    examples_of,
    follow_drawing,
    model_card_panel,
    sketchpad,
)

DOC = """Recognise a handwritten digit.

Takes an image of a digit drawn in dark ink on a light background (as an MCP tool: a URL
or a data: URI; through the API: a sketchpad value with that image as its "composite");
returns the probability of each digit 0-9."""


def prepare(drawing) -> np.ndarray:
    """A drawing -> the network's 28x28x1 input."""
    digit = to_mnist(drawing)
    if digit is None:
        raise BadInput("Draw a digit first: the canvas is empty.")
    return digit[..., None]


def answer(probabilities: np.ndarray) -> dict[str, float]:
    return {str(d): float(p) for d, p in enumerate(probabilities)}


def network_input(drawing) -> np.ndarray | None:
    """What the network saw, dark on light like the canvas, each model pixel 5x5 px."""
    digit = to_mnist(drawing)
    return None if digit is None else np.kron(255 - digit * 255, np.ones((5, 5))).astype(np.uint8)


def build(experiment: Experiment) -> gr.Blocks:
    model = later(load_keras, experiment.id)  # loaded once the hub serves (core/models.py)
    recognise = classifier_fn(model, prepare, answer, experiment.id, DOC)
    with gr.Blocks() as tab:
        demo = gr.Interface(
            **recognise,
            inputs=sketchpad("Draw a digit"),
            outputs=gr.Label(num_top_classes=10, label="Recognised digit and probabilities"),
            examples=examples_of(experiment.family),
            # An example's answer comes with it, computed on its first click.
            cache_examples=True,
            cache_mode="lazy",
            flagging_mode="never",
            api_name=experiment.id,
        )
        follow_drawing(demo.input_components[0], demo.output_components[0], model, prepare, answer)
        seen = gr.Image(label="What the network sees (28×28)", height=160, format="png")
        # Shown after each answer by its own, UI-only event: the API answers with the
        # label alone, so API clients download nothing extra.
        demo.output_components[0].change(
            network_input, demo.input_components[0], seen, api_visibility="private"
        )
        model_card_panel(experiment)
    return tab
