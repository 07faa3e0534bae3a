"""Image classification (upstream experiment 8): a photo -> its top-5 ImageNet classes.

Serves EfficientNet-Lite0 converted from PyTorch (training/image_classification.py), or
keras.applications' MobileNetV2 when the folder holds the `--source upstream` model.keras;
both take a 224x224 centre crop scaled to [-1, 1].
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np

from spaces import efficientnet_lite as lite
from spaces import photos
from spaces.common import Experiment, classifier_fn, classify_each, model_card_panel, tab_header
from spaces.weights import resolve

ID = "image_classification"
THRESHOLD = 0.2  # upstream: below 20% for the best class, "Cannot classify"
TOP_K = 5
CANNOT = "Cannot classify"
EXAMPLES = Path(__file__).parent / "examples" / "photos"

EXPERIMENTS = [
    Experiment(
        id=ID,
        title="Image classification (EfficientNet-Lite0)",
        description=(
            "Upload a photo or take a webcam snapshot: a network pretrained on ImageNet "
            "names what it shows, among 1000 classes."
        ),
        input_kind="Image or webcam snapshot",
        data="ImageNet-1k (pretrained EfficientNet-Lite0, converted from PyTorch)",
        metric="photos_correct",
        metric_label="Conversion check: known photos right (of 2)",
        upstream="MobileNetV2 (ImageNet), no metric; city.jpg -> dock 39%",
    )
]


def load_classifier(folder: Path):
    """The network in ``folder`` and its 1000 class names."""
    names = json.loads((folder / "labels.json").read_text())
    if (folder / "model.keras").is_file():  # --source upstream: MobileNetV2
        import keras

        model = keras.saving.load_model(folder / "model.keras", compile=False)
    else:
        model = lite.load(folder)
    return model, names


def prepare(photo: photos.PhotoValue) -> np.ndarray:
    """A photo (any mode, EXIF, gr.Error for a bad file) -> the network's input."""
    image = photos.open_photo(photo)
    return lite.preprocess(photos.square(image, lite.IMAGE_SIZE, crop=True))


def top_classes(names: list[str]):
    """probabilities -> {class: probability} for the top 5, or the text "Cannot
    classify" when even the best class is below THRESHOLD."""

    def answer(probabilities: np.ndarray) -> dict[str, float] | str:
        top = np.argsort(-probabilities)[:TOP_K]
        if probabilities[top[0]] < THRESHOLD:
            return CANNOT
        return {names[i]: float(probabilities[i]) for i in top}

    return answer


def classifier(model, names: list[str]):
    """The request function: a photo -> its top 5 classes (see top_classes)."""
    return classify_each(model, prepare, top_classes(names))


def build(experiment: Experiment) -> gr.Blocks:
    model, names = load_classifier(resolve(experiment.id))
    classifier(model, names)(photos.warm_up_photo())  # build the predict function now
    with gr.Blocks() as tab:
        tab_header(experiment)
        gr.Interface(
            **classifier_fn(model, prepare, top_classes(names)),
            inputs=photos.photo_input(),
            outputs=gr.Label(num_top_classes=TOP_K, label="Top 5 classes"),
            examples=sorted(str(p) for p in EXAMPLES.glob("*.jpg")),
            cache_examples=False,
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
