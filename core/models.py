"""Loading a Keras model from the weight store, and running one input through it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.weights import resolve

# Keras' own Hub layout (keras.saving.load_model("hf://<ns>/<id>") reads it): the files of
# a zipped model.keras, unzipped at the top of the repo.
KERAS_HUB_FILES = ("config.json", "metadata.json", "model.weights.h5")


def load_keras(experiment_id: str, filename: str = "model.keras"):
    """Load a Keras model of the experiment once (safe_mode on, no compile): ``filename``
    in its weights folder; its ``model.keras`` may be in Keras' Hub layout instead (a
    pinned Hub snapshot holds it unzipped, see training.common.hub_layout)."""
    import keras

    folder = resolve(experiment_id)
    path = folder / filename
    in_hub_layout = all((folder / name).is_file() for name in KERAS_HUB_FILES)
    if filename == "model.keras" and not path.is_file() and in_hub_layout:
        path = folder
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def weights_file(experiment_id: str, filename: str) -> Path:
    return resolve(experiment_id) / filename


def predict_one(model, x: np.ndarray) -> np.ndarray:
    """The model's output for one input (never ``model.predict``: 100x slower per call)."""
    return np.asarray(model.predict_on_batch(x[None]))[0]


def input_side(model) -> int:
    """The side of a square image model's input, read from the model itself."""
    return int(model.input_shape[1])
