"""Image classification (upstream experiment 8): a photo -> its top-5 ImageNet classes."""

from __future__ import annotations

import gradio as gr

from core import photo
from core.experiments import Experiment
from core.image_classifier import (
    CANNOT,
    THRESHOLD,
    TOP_K,
    class_names,
    load_classifier,
    prepare,
    top_classes,
)
from core.models import later, predict_one
from core.weights import resolve
from ui.shared import classifier_fn, examples_of, model_card_panel, photo_input

DOC = f"""Name what a photo shows, among the 1000 ImageNet classes.

Takes an image (a photo); returns the {TOP_K} most likely classes with their
probabilities, or the text "{CANNOT}" when even the best class is below {THRESHOLD:.0%}."""


def warmed_network(experiment_id: str):
    """The network, its predict function built by a first photo."""
    model, _ = load_classifier(resolve(experiment_id))
    predict_one(model, prepare(photo.warm_up_photo()))
    return model


def build(experiment: Experiment) -> gr.Blocks:
    names = class_names(resolve(experiment.id))
    model = later(warmed_network, experiment.id)  # loaded once the hub serves (core/models.py)
    with gr.Blocks() as tab:
        gr.Interface(
            **classifier_fn(model, prepare, top_classes(names), experiment.id, DOC),
            inputs=photo_input(),
            outputs=gr.Label(num_top_classes=TOP_K, label="Top 5 classes"),
            examples=examples_of("photos", "*.jpg"),
            cache_examples=True,
            cache_mode="lazy",  # an example's answer comes with it, from its first click
            flagging_mode="never",
            api_name=experiment.id,
        )
        model_card_panel(
            experiment,
            {
                "Network": "EfficientNet-Lite0 (4.7M params), not upstream's MobileNetV2: "
                "no registry holds MobileNetV2's ImageNet weights",
                "Shown": f"top {TOP_K} when the best class reaches {THRESHOLD:.0%}, "
                f'else "{CANNOT}"',
            },
        )
    return tab
