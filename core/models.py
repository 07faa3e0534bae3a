"""Loading a Keras model from the weight store, and running one input through it; models
loaded after the hub starts serving (``later``)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.errors import ModelUnavailable
from core.weights import resolve

log = logging.getLogger(__name__)

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


# One load at a time, in whichever thread asks: Keras and TensorFlow's imports keep
# process-wide state, and two loads at once would only share the same cores.
_ONE_LOAD = threading.RLock()  # reentrant: a load may use another deferred model


class Deferred:
    """A model (or anything a loader makes) loaded on first use, or before that by
    ``load_deferred`` once the hub serves. Attribute reads and calls go to the loaded
    object, so a tab passes it where the model goes: ``model.predict_on_batch(x)`` waits
    for the load. A load that fails raises ``ModelUnavailable`` on every use, saying why.

    Why: importing TensorFlow and loading the Keras models took about 11 s of the hub's
    18-24 s start-up on the 2-core machine; deferred, the hub serves its page and /ping
    after 8-11 s (README, Speed)."""

    def __init__(self, load: Callable[[], object], name: str):
        self._load, self._name = load, name
        self._lock = threading.Lock()
        self._loaded = False
        self._value: object = None
        self._error: Exception | None = None

    def get(self):
        """The loaded object, loading it now if nobody has yet."""
        with self._lock:
            if not self._loaded:
                try:
                    with _ONE_LOAD:
                        self._value = self._load()
                except Exception as error:  # a broken model costs only its own tab
                    log.warning("%s could not be loaded: %s", self._name, error)
                    self._error = error
                self._loaded = True
        if self._error is not None:
            raise ModelUnavailable(
                f"This experiment is unavailable: its model could not be loaded "
                f"({type(self._error).__name__}: {self._error})."
            )
        return self._value

    def __getattr__(self, name: str):
        return getattr(self.get(), name)

    def __call__(self, *args, **kwargs):
        return self.get()(*args, **kwargs)


# Made by ``later`` and not yet handed to ``load_deferred``, in the order the tabs asked.
_WAITING: list[Deferred] = []


def later(load: Callable, experiment_id: str, *args) -> Deferred:
    """``load(experiment_id, *args)``, deferred. The weights are checked now (missing or
    corrupt files raise ``MissingWeights``, so the tab says why at once); TensorFlow is
    imported and the model loaded on first use, or by ``load_deferred``."""
    resolve(experiment_id)
    deferred = Deferred(functools.partial(load, experiment_id, *args), experiment_id)
    _WAITING.append(deferred)
    return deferred


def take_deferred() -> list[Deferred]:
    """What ``later`` made since the last take (hub.build_hub: its tabs' models)."""
    taken = _WAITING[:]
    _WAITING.clear()
    return taken


def load_deferred(waiting: list[Deferred]) -> threading.Thread:
    """Load ``waiting`` one after another in a background thread (the first tabs' first);
    returns the thread. hub.launch calls it once the hub serves."""

    def load_all() -> None:
        for deferred in waiting:
            try:
                deferred.get()
            except ModelUnavailable:
                pass  # logged; each request to its tab says why

    thread = threading.Thread(target=load_all, name="model-loader", daemon=True)
    thread.start()
    return thread
