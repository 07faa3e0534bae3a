"""The sketch tabs' served model: ours and upstream's converted model combined into ONE
Keras model over upstream's 345 QuickDraw categories (``combined``), and the candidates
it is chosen from, scored on the development doodles (``candidates``, ``chosen_weight``).
training/sketch_recognition_upstream.py builds it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core import drawing
from core.drawing import BRUSH_SIZE
from training.doodles import sketchpad

WEIGHT_STEPS = np.round(np.arange(0, 1.01, 0.1), 1)  # upstream's share in the average
# The candidates that can be served: ours alone, then each upstream model alone (and
# averaged with ours), in order of simplicity.
SERVABLE = ("ours", "upstream", "upstream_fine_tuned")
# A served candidate leaves the categories ours lacks at least this share of the
# probability mass that upstream's own model gives them (``chosen``).
MIN_OTHER_MASS = 0.5


# ---------------------------------------------------------------- ours + upstream's


def _framing(inputs, index: int, name: str):
    """One framing of ``to_both``'s two channels: a fixed 1x1 convolution picking it."""
    import keras

    pick = keras.layers.Conv2D(1, 1, use_bias=False, trainable=False, name=name)
    picked = pick(inputs)
    kernel = np.zeros((1, 1, 2, 1), np.float32)
    kernel[0, 0, index, 0] = 1.0
    pick.set_weights([kernel])
    return picked


def combined(ours, ours_labels: list[str], upstream, labels: list[str], weight: float):
    """ONE Keras model: (28, 28, 2) from ``to_both`` -> ``weight`` x upstream's
    probabilities (QuickDraw framing) + (1 - weight) x ours (MNIST framing) placed in
    upstream's label order (a fixed matrix: categories ours lacks get 0 from it)."""
    import keras

    named = keras.Sequential.from_config({**ours.get_config(), "name": "ours"})
    named.set_weights(ours.get_weights())
    ours = named
    inputs = keras.Input((28, 28, 2), name="mnist_and_quickdraw_framings")
    placing = keras.layers.Dense(len(labels), use_bias=False, trainable=False, name="ours_placed")
    ours_part = placing(ours(_framing(inputs, 0, "mnist_framing")))
    kernel = np.zeros((len(ours_labels), len(labels)), np.float32)
    kernel[np.arange(len(ours_labels)), [labels.index(n) for n in ours_labels]] = 1.0 - weight
    placing.set_weights([kernel])
    upstream_part = keras.layers.Rescaling(weight, name="upstream_share")(
        upstream(_framing(inputs, 1, "quickdraw_framing"))
    )
    average = keras.layers.Add(name="average")([upstream_part, ours_part])
    return keras.Model(inputs, average, name="ours_and_upstream")


def ours_in(folder: Path):
    """(our model, its labels) from a weights folder: the ``ours`` layer of a combined
    model.keras, or the whole of one that ``training.sketch_recognition_<model>`` wrote."""
    import keras

    model = keras.saving.load_model(folder / "model.keras", compile=False, safe_mode=True)
    metrics = json.loads((folder / "metrics.json").read_text())
    if "ours" in [layer.name for layer in model.layers]:
        return model.get_layer("ours"), metrics["ours_labels"]
    return model, json.loads((folder / "labels.json").read_text())


# ---------------------------------------------------------------- choosing on dev


def doodles(path: Path) -> tuple[np.ndarray, list[str]]:
    """A committed doodle set as the tab sees it: uint8 (N, 28, 28, 2) from ``to_both``."""
    return sketchpad.doodle_set(path, BRUSH_SIZE, drawing.to_both)


def top_scores(probabilities: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Top-1, top-3 and the largest share one answer takes."""
    top3 = np.argsort(probabilities, axis=1)[:, -3:]
    return {
        "accuracy": round(float(np.mean(top3[:, -1] == truth)), 4),
        "top3_accuracy": round(float(np.mean((top3 == truth[:, None]).any(axis=1))), 4),
        "largest_answer_share": round(float(np.bincount(top3[:, -1]).max() / len(truth)), 4),
    }


def branch_outputs(ours, ours_labels, upstreams: dict, labels, images) -> dict[str, np.ndarray]:
    """Each model's probabilities in upstream's order on (N, 28, 28, 2) uint8 images:
    ours (MNIST framing), upstream's in MNIST's framing, each of ``upstreams`` (QuickDraw's)."""
    x = images.astype(np.float32) / 255.0
    placed = np.zeros((len(x), len(labels)), np.float32)
    placed[:, [labels.index(n) for n in ours_labels]] = ours.predict_on_batch(x[..., :1])
    mnist_framing = upstreams["upstream"].predict_on_batch(x[..., :1])
    outputs = {"ours": placed, "upstream_mnist_framing": np.asarray(mnist_framing)}
    for name, model in upstreams.items():
        outputs[name] = np.asarray(model.predict_on_batch(x[..., 1:]))
    return outputs


def candidates(outputs: dict[str, np.ndarray], truth: np.ndarray, known: np.ndarray) -> dict:
    """Dev-set scores of each model alone and of each upstream model averaged with ours by
    weight (``average_<upstream model>_<its share>``): as served, over all categories;
    ``known_*``: over the categories ours knows (``known``, a mask) only; and
    ``other_mass``: the mean probability left to the categories ours lacks."""
    probabilities = dict(outputs)
    for base in [name for name in outputs if name in SERVABLE[1:]]:
        for weight in WEIGHT_STEPS[1:-1]:
            average = weight * outputs[base] + (1 - weight) * outputs["ours"]
            probabilities[f"average_{base}_{weight}"] = average
    scores = {}
    for name, p in probabilities.items():
        within = top_scores(p * known, truth)
        within = {f"known_{k}": within[k] for k in ("accuracy", "top3_accuracy")}
        other_mass = round(float(p[:, ~known].sum(axis=1).mean()), 4)
        scores[name] = {**top_scores(p, truth), **within, "other_mass": other_mass}
    return scores


def chosen(scores: dict[str, dict]) -> tuple[str, str, float]:
    """(candidate, its upstream model, upstream's share) of the best servable candidate on
    the development doodles.

    The development doodles draw only categories ours knows, so a candidate that never
    answers the others would gain there for nothing: candidates are compared on
    ``known_*`` (top-1, then top-3; of equals, the first, the simpler), and one that leaves
    the categories ours lacks less than half of upstream's own probability mass
    (``other_mass``) is not served. Upstream's model in MNIST's framing is never served."""
    servable = {}
    for name in scores:
        if name in SERVABLE:
            servable[name] = (name if name != "ours" else "upstream", float(name != "ours"))
        elif name.startswith("average_"):
            base, weight = name.removeprefix("average_").rsplit("_", 1)
            servable[name] = (base, float(weight))
    floor = scores["upstream"]["other_mass"] * MIN_OTHER_MASS
    kept = [name for name in servable if scores[name]["other_mass"] >= floor]
    best = max(kept, key=lambda n: (scores[n]["known_accuracy"], scores[n]["known_top3_accuracy"]))
    return best, *servable[best]
