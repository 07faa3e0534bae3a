"""Loading a Keras model from the weight store, and running one input through it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.weights import resolve


def load_keras(experiment_id: str, filename: str = "model.keras"):
    """Load a Keras model from the weight store once (safe_mode on, no compile)."""
    import keras

    path = resolve(experiment_id) / filename
    return keras.saving.load_model(path, compile=False, safe_mode=True)


def weights_file(experiment_id: str, filename: str) -> Path:
    return resolve(experiment_id) / filename


def predict_one(model, x: np.ndarray) -> np.ndarray:
    """The model's output for one input (never ``model.predict``: 100x slower per call)."""
    return np.asarray(model.predict_on_batch(x[None]))[0]


def input_side(model) -> int:
    """The side of a square image model's input, read from the model itself."""
    return int(model.input_shape[1])
