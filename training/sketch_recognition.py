"""What the two sketch recognisers share: the rendered doodle datasets (``prepare``,
cached), leave-one-set-out evaluation, the weights folder, the committed test sample and
the example doodles; each ``training/sketch_recognition_<model>.py`` holds its model.

Both train on icons from npm icon sets re-drawn as hand-drawn doodles (training/doodles/),
mapped to QuickDraw categories, one set left out. They are measured on the frozen
QuickDraw-style test doodles, on the development doodles where recipes are chosen (both in
data/sketch_recognition/) and on the left-out icon set; upstream's figures are on real
QuickDraw, different data.
"""

from __future__ import annotations

import json
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from core import DATA, ROOT, drawing
from core.drawing import BRUSH_SIZE
from core.experiments import BY_ID
from training.common import arguments, cache, plots, publish, scoring
from training.doodles import icon_doodles, icon_sets, quickdraw, sketchpad, svg_paths

SEED = 7
PER_CATEGORY = 250  # training renders per category, spread over its drawings
MIN_DRAWINGS = 3  # categories the training sets draw fewer times are left out
TEST_RENDERS = 12  # renders of every held-out drawing
VALIDATION = 0.05  # share of the (shuffled) training renders kept for validation curves
TRAIN_STYLE = icon_doodles.DOODLE  # how the training icons are re-drawn (icon_doodles.Style)
SAMPLE_PATH = DATA / "sketch_recognition" / "sketches_heldout.npz"
# The development doodles: drawings authored as canvas strokes
# (data/sketch_recognition/author_doodles.py), never used for training; recipes are chosen
# on them.
DOODLES_PATH = DATA / "sketch_recognition" / "doodles.json"
# The frozen test set: doodles in QuickDraw's manner
# (data/sketch_recognition/author_sketch_test.py), never used for training or for choosing
# anything; it only measures.
TEST_DOODLES_PATH = DATA / "sketch_recognition" / "sketch_test_doodles.json"
EXAMPLES = ROOT / "ui" / "examples" / "sketch_recognition"
# The tab's examples: doodles authored like the test set but drawn separately
# (data/sketch_recognition/author_doodles.py EXAMPLES), saved as the canvas would send them.
EXAMPLE_DOODLES = DATA / "sketch_recognition" / "example_doodles.json"


def _render_chunk(job: tuple) -> tuple[np.ndarray, np.ndarray]:
    return icon_doodles.render_set(*job)


def render_parallel(
    items, labels, per_drawing, seed, style=TRAIN_STYLE, workers=2, framing=drawing.to_mnist
):
    """``icon_doodles.render_set`` over a few processes (rendering is CPU-bound numpy/Pillow).

    Each drawing's renders stay in one chunk, so it is doodle-ised only once."""
    items = sorted(items, key=lambda d: (d.source, d.name))
    size = -(-len(items) // 16)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    jobs = [(c, labels, per_drawing, seed + i, style, framing) for i, c in enumerate(chunks) if c]
    with Pool(workers) as pool:
        parts = pool.map(_render_chunk, jobs)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def split_drawings(
    prefixes=None,
) -> tuple[list[str], list[icon_sets.Drawing], list[icon_sets.Drawing]]:
    """(labels, training drawings, held-out drawings): leave one icon set out.

    The labels are the QuickDraw categories that the training sets draw, in QuickDraw's
    order; held-out drawings of other categories cannot be scored and are left out."""
    every = icon_sets.drawings(prefixes)
    train = [d for d in every if d.source != icon_sets.HELD_OUT]
    counts = Counter(d.category for d in train)
    present = {c for c, n in counts.items() if n >= (MIN_DRAWINGS if prefixes is None else 1)}
    train = [d for d in train if d.category in present]
    labels = [c for c in icon_sets.categories() if c in present]
    test = [d for d in every if d.source == icon_sets.HELD_OUT and d.category in present]
    return labels, train, test


def render_splits(train, test, labels, per_category, test_renders, style, workers) -> dict:
    """Renders of the training drawings (``per_category`` a category) in ``style`` and
    ``test_renders`` of every held-out drawing in the heavy style, as uint8 28x28."""
    index = {c: i for i, c in enumerate(labels)}
    x_train, y_train = render_parallel(
        icon_doodles.balanced(train, per_category), index, 1, SEED, style, workers
    )
    x_test, y_test = icon_doodles.render_set(
        test, index, test_renders, SEED + 1000, icon_doodles.HEAVY
    )
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def prepare(train, test, labels, smoke: bool) -> dict[str, np.ndarray]:
    """``render_splits``, cached (several minutes of CPU): keyed by the drawings (by their
    set and name), the parser, the renderer and the canvas preprocessing."""
    per_category, test_renders = (2, 1) if smoke else (PER_CATEGORY, TEST_RENDERS)
    code = (render_parallel, _render_chunk, svg_paths, icon_sets, icon_doodles, drawing)
    return cache.cached_arrays(
        "sketches", render_splits, code,
        train=train, test=test, labels=labels, per_category=per_category,
        test_renders=test_renders, style=TRAIN_STYLE, workers=1 if smoke else 2,
    )  # fmt: skip


def load(source: str, smoke: bool = False):
    """((x_train, y_train), (x_test, y_test), labels, info): uint8 28x28 white on black."""
    if source == "upstream":
        x, y, labels = quickdraw.quickdraw(per_category=200 if smoke else 10000)
        order = np.random.default_rng(SEED).permutation(len(x))
        cut = int(len(x) * 0.9)
        train, test = order[:cut], order[cut:]
        info = {"dataset": "QuickDraw numpy bitmaps (the first of each category's file)"}
        return (x[train], y[train]), (x[test], y[test]), labels, info

    labels, train, test = split_drawings(["tabler", icon_sets.HELD_OUT] if smoke else None)
    if smoke:
        labels = labels[:5]
        train = [d for d in train if d.category in labels][:10]
        test = [d for d in test if d.category in labels][:5]
    data = prepare(train, test, labels, smoke)
    drawings_per_category = Counter(d.category for d in train)
    info = {
        "dataset": "hand-drawn-style renders of outline icons (npm icon sets, see card)",
        "icon_sets": [s[0] for s in icon_sets.ICON_SETS if s[0] != icon_sets.HELD_OUT],
        "held_out_icon_set": icon_sets.HELD_OUT,
        "distinct_drawings": len(train),
        "held_out_drawings": len(test),
        "drawings_per_category": {c: drawings_per_category[c] for c in labels},
    }
    return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"]), labels, info


def shuffled(x: np.ndarray, y: np.ndarray, seed: int = SEED):
    """Training arrays in random order, as float32 (N, 28, 28, 1) in [0, 1]."""
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order][..., None].astype(np.float32) / 255.0, y[order]


def evaluate(model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Top-1 and top-3 accuracy of uint8 images."""
    probabilities = model.predict(x[..., None].astype(np.float32) / 255.0, verbose=0)
    return {
        "accuracy": scoring.top_k_accuracy(y, probabilities, 1),
        "top3_accuracy": scoring.top_k_accuracy(y, probabilities, 3),
    }


def evaluate_doodles(model, labels: list[str], path: Path = DOODLES_PATH) -> dict:
    """Top-1 / top-3 accuracy on a doodle set, rendered as the canvas sends it
    (brush of the tab, then ``to_mnist``), and the largest share one answer takes."""
    x, names = sketchpad.doodle_set(path, BRUSH_SIZE)
    known = [i for i, n in enumerate(names) if n in labels]
    truth = np.array([labels.index(names[i]) for i in known])
    probabilities = np.asarray(model.predict_on_batch(x[known][..., None] / 255.0))
    answers = Counter(np.argmax(probabilities, axis=1).tolist())
    return {
        "doodle_accuracy": round(scoring.top_k_accuracy(truth, probabilities, 1), 4),
        "doodle_top3_accuracy": round(scoring.top_k_accuracy(truth, probabilities, 3), 4),
        "doodle_count": len(known),
        "doodle_categories": len({names[i] for i in known}),
        "doodle_largest_answer_share": round(answers.most_common(1)[0][1] / len(known), 4),
    }


def train(model, x_train, y_train, config: dict, args) -> dict:
    """Adam at the config's learning rate, decayed to a tenth over the run (cosine), the last
    VALIDATION share kept for validation; resumable from ``checkpoints`` (not in smoke runs)."""
    import keras

    batch_size, checkpoints = config["batch_size"], cache.CACHE / "checkpoints" / config["id"]
    steps = args.epochs * -(-int(len(x_train) * (1 - VALIDATION)) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(config["learning_rate"], steps, alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    backup = [] if args.smoke else [keras.callbacks.BackupAndRestore(checkpoints)]
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=args.epochs,
        validation_split=VALIDATION,
        callbacks=backup,
        verbose=2,
    )
    return history.history


def score(model, test, labels: list[str], info: dict, config: dict, args) -> dict:
    """metrics.json's figures: the held-out icon set, the development and the frozen
    doodle sets, and what the data were."""
    scores = evaluate(model, *test)
    development = evaluate_doodles(model, labels)
    frozen = evaluate_doodles(model, labels, TEST_DOODLES_PATH)
    counts = sorted(info.get("drawings_per_category", {}).values())
    return {
        "test_accuracy": round(scores["accuracy"], 4),
        "test_top3_accuracy": round(scores["top3_accuracy"], 4),
        "test_note": (
            f"renders of the {info.get('held_out_drawings', '?')} drawings of icon set "
            f"'{info.get('held_out_icon_set', '-')}', which training never saw "
            "(leave-one-set-out), drawn with the same hand-drawn augmentation"
        ),
        **development,
        "doodle_note": (
            f"{development['doodle_count']} doodles of {development['doodle_categories']} "
            "categories authored as canvas strokes (data/sketch_recognition/doodles.json), drawn "
            "with the tab's brush and preprocessed as the canvas is; never used for training or "
            "choosing a model"
        ),
        **{f"frozen_{key}": value for key, value in frozen.items()},
        "frozen_doodle_note": (
            f"{frozen['doodle_count']} doodles of {frozen['doodle_categories']} categories "
            "drawn in QuickDraw's manner (data/sketch_recognition/sketch_test_doodles.json), "
            "frozen before any recipe change: the test set; the doodles above are the "
            "development set"
        ),
        "categories": len(labels),
        "distinct_drawings": info.get("distinct_drawings"),
        "drawings_per_category_min": counts[0] if counts else None,
        "drawings_per_category_median": counts[len(counts) // 2] if counts else None,
        "dataset": info["dataset"],
        "icon_sets": info.get("icon_sets"),
        "held_out_icon_set": info.get("held_out_icon_set"),
        "test_size": int(len(test[1])),
        "params": int(model.count_params()),
        "epochs": int(args.epochs),
        "upstream_test_accuracy": config["upstream"],
        "upstream_note": (
            "DIFFERENT DATA: upstream's figure is on real QuickDraw doodles "
            "(345 categories, QuickDraw's numpy bitmaps)"
        ),
    }


def save(config: dict, model, history: dict, metrics: dict, labels: list[str], info: dict, args):
    """weights/<id>/: the model, labels, drawings per category, curves, and through
    ``publish.publish`` metrics.json, the card (training/cards/sketch_recognition.md) and
    the manifest."""
    experiment_id = config["id"]
    folder = publish.weights_folder(experiment_id, args.out)
    publish.save_for_serving(model, folder / "model.keras")
    (folder / "labels.json").write_text(json.dumps(labels, indent=0) + "\n")
    per_category = info.get("drawings_per_category", {})
    (folder / "drawings_per_category.json").write_text(json.dumps(per_category, indent=0) + "\n")
    plots.save_plots(folder, history)
    values = {
        "title": BY_ID[experiment_id].title,
        "sets": ", ".join(f"`{s[1]}` ({s[3]})" for s in icon_sets.ICON_SETS),
        "licences": ", ".join(sorted({s[3] for s in icon_sets.ICON_SETS})),
    }
    card = publish.card_data(
        ["image-classification", "sketch", "quickdraw", "doodle", "gradio"],
        model_name=experiment_id,
        eval_results=publish.accuracy_result(
            metrics, "icon-doodles", f"held-out icon set {metrics['held_out_icon_set']} as doodles"
        ),
    )
    publish.publish(experiment_id, folder, metrics, card, "sketch_recognition", values, args.push)
    return folder


def write_test_sample(test, labels: list[str], per_drawing: int = 2) -> None:
    """Commit a small held-out sample (the first renders of each held-out drawing)."""
    x, y = test
    keep = np.arange(len(y)) % TEST_RENDERS < per_drawing
    SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(SAMPLE_PATH, images=x[keep], labels=np.array([labels[i] for i in y[keep]]))


def write_examples(folder: Path = EXAMPLES) -> None:
    """The tab's example doodles: the strokes of EXAMPLE_DOODLES drawn with the tab's
    brush on a white 400 x 400 canvas, saved as PNG (what a visitor's canvas sends)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    for category, (strokes,) in json.loads(EXAMPLE_DOODLES.read_text()).items():
        image = sketchpad.canvas(strokes, BRUSH_SIZE).convert("L")
        image.save(folder / f"{category}.png", optimize=True)


def main(config: dict, build_model, argv: list[str] | None = None, doc: str = "") -> dict:
    """Data -> model -> train -> evaluate -> weights/<id>/, for either sketch model, then
    combined with upstream's (``training.sketch_recognition_upstream``);
    ``config`` holds the entry module's plain values (id, epochs, batch_size,
    learning_rate, upstream), ``build_model(categories)`` its network."""
    import keras

    experiment_id = config["id"]
    args = arguments.parse_args(
        doc or BY_ID[experiment_id].title, config["epochs"], argv, fixtures=True
    )
    keras.utils.set_random_seed(SEED)

    # Data: fresh hand-drawn renders of the training icon sets; the held-out set is test.
    (x_train, y_train), test, labels, info = load(args.source, args.smoke)
    x_train, y_train = shuffled(x_train, y_train)

    # Model: the entry module's, with as many outputs as categories.
    model = build_model(len(labels))

    # Train: Adam, decayed to a tenth over the run; resumable.
    history = train(model, x_train, y_train, config, args)

    # Evaluate on the held-out icon set and the doodle sets; write weights/<id>/.
    metrics = score(model, test, labels, info, config, args)
    metrics["train_size"] = int(len(x_train))
    folder = save(config, model, history, metrics, labels, info, args)
    if args.refresh_fixtures and args.source == "registry" and not args.smoke:
        write_test_sample(test, labels)
        write_examples()

    # Served: ours averaged with upstream's own QuickDraw model, in one model (over ours).
    from training import sketch_recognition_upstream

    kind = ["--model", experiment_id.rsplit("_", 1)[1], "--out", str(folder)]
    smoke = ["--smoke", "--epochs", "1"] if args.smoke else []
    return sketch_recognition_upstream.main(kind + smoke)
