"""Models loaded after the hub serves (core/models.py): once, by whoever asks first, and a
load that fails says so on every use."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from core import models
from core.errors import ModelUnavailable
from core.weights import MissingWeights


def test_a_deferred_model_loads_once_however_many_ask_at_once():
    loads = []

    def load():
        loads.append(1)
        time.sleep(0.2)  # long enough for every caller to arrive while it loads
        return SimpleNamespace(weights=42)

    deferred = models.Deferred(load, "slow")
    got = []
    callers = [threading.Thread(target=lambda: got.append(deferred.get())) for _ in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert loads == [1] and len(got) == 4 and all(model is got[0] for model in got)
    assert deferred.weights == 42  # attributes and calls reach the loaded object
    assert models.Deferred(lambda: str.upper, "a function")("ok") == "OK"


def test_a_load_that_fails_says_why_on_every_use_and_is_not_retried():
    loads = []

    def load():
        loads.append(1)
        raise OSError("model.keras: not a zip file")

    deferred = models.Deferred(load, "broken")
    for _ in range(2):
        with pytest.raises(ModelUnavailable, match="could not be loaded.*not a zip file"):
            deferred.predict_on_batch(None)
    assert loads == [1]


def test_later_checks_the_weights_at_once_and_loads_in_the_background():
    with pytest.raises(MissingWeights):
        models.later(lambda experiment_id: None, "no_such_experiment")
    models.take_deferred()
    made = []
    deferred = models.later(
        lambda experiment_id: made.append(experiment_id) or "model", "digits_recognition_mlp"
    )
    assert made == [] and models.take_deferred() == [deferred]
    models.load_deferred([deferred]).join()
    assert made == ["digits_recognition_mlp"] and deferred.get() == "model"
