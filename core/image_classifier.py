"""Image classification (upstream experiment 8) without the UI: a photo -> its top-5
ImageNet classes.

Serves EfficientNet-Lite0 converted from PyTorch (training/image_classification.py), or
keras.applications' MobileNetV2 when the folder holds the `--source upstream` model.keras;
both take a 224x224 centre crop scaled to [-1, 1].
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core import efficientnet_lite as lite
from core import photo

THRESHOLD = 0.2  # upstream: below 20% for the best class, "Cannot classify"
TOP_K = 5
CANNOT = "Cannot classify"


def class_names(folder: Path) -> list[str]:
    """The 1000 class names of the network in ``folder``."""
    return json.loads((folder / "labels.json").read_text())


def load_classifier(folder: Path):
    """The network in ``folder`` and its 1000 class names."""
    names = class_names(folder)
    if (folder / "model.keras").is_file():  # --source upstream: MobileNetV2
        import keras

        model = keras.saving.load_model(folder / "model.keras", compile=False)
    else:
        model = lite.load(folder)
    return model, names


def prepare(value: photo.PhotoValue) -> np.ndarray:
    """A photo (any mode, EXIF, BadInput for a bad file) -> the network's input."""
    image = photo.open_photo(value)
    return lite.preprocess(photo.square(image, lite.IMAGE_SIZE, crop=True))


def top_classes(names: list[str]):
    """probabilities -> {class: probability} for the top 5, or the text "Cannot
    classify" when even the best class is below THRESHOLD."""

    def answer(probabilities: np.ndarray) -> dict[str, float] | str:
        top = np.argsort(-probabilities)[:TOP_K]
        if probabilities[top[0]] < THRESHOLD:
            return CANNOT
        return {names[i]: float(probabilities[i]) for i in top}

    return answer
