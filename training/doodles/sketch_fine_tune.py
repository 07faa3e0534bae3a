"""Upstream's sketch model fine-tuned on this project's canvas-domain renders: the icon
doodles that train ours (training/sketch_recognition.py), rendered in QuickDraw's framing
(``core.drawing.to_quickdraw``, the one upstream's model is served with), labelled in
upstream's order. A warm start at a low learning rate, scored on the development doodles
after every epoch; the best epoch there is kept (epoch 0: upstream's own weights).

The output layer stays as upstream trained it: the renders draw only the categories ours
knows, and a head trained on them learns never to answer the others (tried: with it
trainable, the probability left to the other categories fell from 0.047 to 0.006 in two
epochs)."""

from __future__ import annotations

import numpy as np

from core import drawing
from training.common import cache
from training.doodles import icon_doodles, sketch_ensemble

PER_CATEGORY = 100  # renders per category (a third of ours: a warm start needs fewer)
LEARNING_RATE = 1e-4  # upstream trained at 3e-3 (CNN) and 1e-3 (MLP)
BATCH_SIZE = 128
EPOCHS = 4
SEED = 12


def _render(drawings, labels, per_category, seed) -> dict[str, np.ndarray]:
    from training.sketch_recognition import TRAIN_STYLE, render_parallel

    index = {c: i for i, c in enumerate(labels)}
    balanced = icon_doodles.balanced(drawings, per_category)
    x, y = render_parallel(balanced, index, 1, seed, TRAIN_STYLE, 2, drawing.to_quickdraw)
    return {"x": x, "y": y}


def renders(labels: list[str], smoke: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(float32 (N, 28, 28, 1) renders in QuickDraw's framing, labels in ``labels``'
    order), shuffled; cached, keyed like ours' renders."""
    from training import sketch_recognition
    from training.doodles import icon_sets, svg_paths

    ours_labels, train, _ = sketch_recognition.split_drawings(["tabler"] if smoke else None)
    if smoke:
        train = train[:20]
    code = (sketch_recognition.render_parallel, svg_paths, icon_sets, icon_doodles, drawing)
    data = cache.cached_arrays(
        "sketches_quickdraw_framing", _render, code,
        drawings=train, labels=ours_labels, per_category=2 if smoke else PER_CATEGORY, seed=SEED,
    )  # fmt: skip
    order = np.random.default_rng(SEED).permutation(len(data["y"]))
    y = np.array([labels.index(ours_labels[i]) for i in data["y"][order]], np.int32)
    return data["x"][order][..., None].astype(np.float32) / 255.0, y


def fine_tune(model, x, y, dev: np.ndarray, truth: np.ndarray, epochs: int = EPOCHS) -> list:
    """Fine-tune ``model`` in place; ``dev`` (float QuickDraw framing) and ``truth``
    score every epoch. Leaves the best epoch's weights; returns every epoch's scores."""
    import keras

    keras.utils.set_random_seed(SEED)
    model.layers[-1].trainable = False  # upstream's 345-way head, as upstream trained it
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy"
    )
    history = [sketch_ensemble.top_scores(np.asarray(model.predict_on_batch(dev)), truth)]
    best = (history[0]["accuracy"], history[0]["top3_accuracy"]), model.get_weights()
    for epoch in range(1, epochs + 1):
        model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=2)
        scores = sketch_ensemble.top_scores(np.asarray(model.predict_on_batch(dev)), truth)
        history.append({**scores, "epoch": epoch})
        print(f"epoch {epoch}: development doodles {scores}", flush=True)
        if (scores["accuracy"], scores["top3_accuracy"]) > best[0]:
            best = (scores["accuracy"], scores["top3_accuracy"]), model.get_weights()
    model.set_weights(best[1])
    return history
