"""What the two sketch recognisers share: the rendered doodle datasets (cached outside
git), leave-one-set-out evaluation, the weights folder, the committed test sample and
the example doodles."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from huggingface_hub import ModelCardData
from huggingface_hub.repocard_data import EvalResult

from core import drawing as preprocessing
from core.drawing import BRUSH_SIZE
from training import common
from training import sketch_recognition_data as data

SEED = 7
PER_CATEGORY = 250  # training renders per category, spread over its drawings
MIN_DRAWINGS = 3  # categories the training sets draw fewer times are left out
TEST_RENDERS = 12  # renders of every held-out drawing
VALIDATION = 0.05  # share of the (shuffled) training renders kept for validation curves
TRAIN_STYLE = data.DOODLE  # how the training icons are re-drawn (sketch_recognition_data.Style)
UPSTREAM = {"sketch_recognition_mlp": 0.61, "sketch_recognition_cnn": 0.67}
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = ROOT / "tests" / "data" / "sketches_heldout.npz"
# The development doodles: drawings authored as canvas strokes (tests/data/author_doodles.py),
# never used for training; recipes are chosen on them.
DOODLES_PATH = ROOT / "tests" / "data" / "doodles.json"
# The frozen test set: doodles in QuickDraw's manner (tests/data/author_sketch_test.py),
# never used for training or for choosing anything; it only measures.
TEST_DOODLES_PATH = ROOT / "tests" / "data" / "sketch_test_doodles.json"
EXAMPLES = ROOT / "ui" / "examples" / "sketch_recognition"
# The tab's examples: doodles authored like the test set but drawn separately
# (tests/data/author_doodles.py EXAMPLES), saved as the canvas would send them.
EXAMPLE_DOODLES = ROOT / "tests" / "data" / "example_doodles.json"


def _render_chunk(job: tuple) -> tuple[np.ndarray, np.ndarray]:
    items, labels, per_drawing, seed, style = job
    return data.render_set(items, labels, per_drawing, seed, style)


def render_parallel(items, labels, per_drawing, seed, style=TRAIN_STYLE, workers=2):
    """``data.render_set`` over a few processes (rendering is CPU-bound numpy/Pillow).

    Each drawing's renders stay in one chunk, so it is doodle-ised only once."""
    items = sorted(items, key=lambda d: (d.source, d.name))
    size = -(-len(items) // 16)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    jobs = [(c, labels, per_drawing, seed + i, style) for i, c in enumerate(chunks) if c]
    with Pool(workers) as pool:
        parts = pool.map(_render_chunk, jobs)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def split_drawings(prefixes=None) -> tuple[list[str], list[data.Drawing], list[data.Drawing]]:
    """(labels, training drawings, held-out drawings): leave one icon set out.

    The labels are the QuickDraw categories that the training sets draw, in QuickDraw's
    order; held-out drawings of other categories cannot be scored and are left out."""
    every = data.drawings(prefixes)
    train = [d for d in every if d.source != data.HELD_OUT]
    counts = Counter(d.category for d in train)
    present = {c for c, n in counts.items() if n >= (MIN_DRAWINGS if prefixes is None else 1)}
    train = [d for d in train if d.category in present]
    labels = [c for c in data.categories() if c in present]
    test = [d for d in every if d.source == data.HELD_OUT and d.category in present]
    return labels, train, test


def load(source: str, smoke: bool = False):
    """((x_train, y_train), (x_test, y_test), labels, info): uint8 28x28 white on black.

    Registry renders are cached in CACHE/sketches (several minutes of CPU to make)."""
    if source == "upstream":
        x, y, labels = data.quickdraw(per_category=200 if smoke else 10000)
        order = np.random.default_rng(SEED).permutation(len(x))
        cut = int(len(x) * 0.9)
        train, test = order[:cut], order[cut:]
        info = {"dataset": "QuickDraw numpy bitmaps (the first of each category's file)"}
        return (x[train], y[train]), (x[test], y[test]), labels, info

    labels, train, test = split_drawings(["tabler", data.HELD_OUT] if smoke else None)
    index = {c: i for i, c in enumerate(labels)}
    per_category, test_renders = (2, 1) if smoke else (PER_CATEGORY, TEST_RENDERS)
    if smoke:
        labels = labels[:5]
        index = {c: i for i, c in enumerate(labels)}
        train = [d for d in train if d.category in index][:10]
        test = [d for d in test if d.category in index][:5]
    # Keyed by the drawings, the preprocessing code and the render styles.
    key = hashlib.sha256(repr([(d.source, d.name, d.category) for d in train + test]).encode())
    key.update(Path(preprocessing.__file__).read_bytes())
    key.update(repr((TRAIN_STYLE, data.HEAVY, data.doodleise.__doc__)).encode())
    cache = common.CACHE / "sketches" / f"renders-{key.hexdigest()[:12]}-{per_category}-{SEED}.npz"
    if cache.exists() and not smoke:
        saved = np.load(cache)
        x_train, y_train, x_test, y_test = (saved[k] for k in ("xtr", "ytr", "xte", "yte"))
    else:
        x_train, y_train = render_parallel(
            data.balanced(train, per_category), index, 1, SEED, workers=1 if smoke else 2
        )
        x_test, y_test = data.render_set(test, index, test_renders, SEED + 1000, data.HEAVY)
        if not smoke:
            np.savez_compressed(cache, xtr=x_train, ytr=y_train, xte=x_test, yte=y_test)
    drawings_per_category = Counter(d.category for d in train)
    info = {
        "dataset": "hand-drawn-style renders of outline icons (npm icon sets, see card)",
        "icon_sets": [s[0] for s in data.ICON_SETS if s[0] != data.HELD_OUT],
        "held_out_icon_set": data.HELD_OUT,
        "distinct_drawings": len(train),
        "held_out_drawings": len(test),
        "drawings_per_category": {c: drawings_per_category[c] for c in labels},
    }
    return (x_train, y_train), (x_test, y_test), labels, info


def shuffled(x: np.ndarray, y: np.ndarray, seed: int = SEED):
    """Training arrays in random order, as float32 (N, 28, 28, 1) in [0, 1]."""
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order][..., None].astype(np.float32) / 255.0, y[order]


def evaluate(model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Top-1 and top-3 accuracy of uint8 images."""
    probabilities = model.predict(x[..., None].astype(np.float32) / 255.0, verbose=0)
    top3 = np.argsort(probabilities, axis=1)[:, -3:]
    return {
        "accuracy": float(np.mean(top3[:, -1] == y)),
        "top3_accuracy": float(np.mean((top3 == y[:, None]).any(axis=1))),
    }


def evaluate_doodles(model, labels: list[str], path: Path = DOODLES_PATH) -> dict:
    """Top-1 / top-3 accuracy on a doodle set, rendered as the canvas sends it
    (brush of the tab, then ``to_mnist``), and the largest share one answer takes."""
    x, names = data.doodle_set(path, BRUSH_SIZE)
    known = [i for i, n in enumerate(names) if n in labels]
    truth = np.array([labels.index(names[i]) for i in known])
    probabilities = np.asarray(model.predict_on_batch(x[known][..., None] / 255.0))
    top3 = np.argsort(probabilities, axis=1)[:, -3:]
    answers = Counter(top3[:, -1].tolist())
    return {
        "doodle_accuracy": round(float(np.mean(top3[:, -1] == truth)), 4),
        "doodle_top3_accuracy": round(float(np.mean((top3 == truth[:, None]).any(axis=1))), 4),
        "doodle_count": len(known),
        "doodle_categories": len({names[i] for i in known}),
        "doodle_largest_answer_share": round(answers.most_common(1)[0][1] / len(known), 4),
    }


def train(model, x_train, y_train, args, learning_rate: float, batch_size: int, checkpoints):
    """Adam at ``learning_rate``, decayed to a tenth over the run (cosine), the last
    VALIDATION share kept for validation; resumable from ``checkpoints`` (not in smoke runs)."""
    import keras

    steps = args.epochs * -(-int(len(x_train) * (1 - VALIDATION)) // batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.1)
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


def save(experiment_id, model, history, test, labels, info, train_size, args, title) -> Path:
    """Evaluate on the held-out icon set and write weights/<id>/."""
    folder = common.weights_folder(experiment_id, args.out)
    scores = evaluate(model, *test)
    doodles = evaluate_doodles(model, labels)
    frozen = evaluate_doodles(model, labels, TEST_DOODLES_PATH)
    per_category = info.get("drawings_per_category", {})
    counts = sorted(per_category.values())
    metrics = {
        "test_accuracy": round(scores["accuracy"], 4),
        "test_top3_accuracy": round(scores["top3_accuracy"], 4),
        "test_note": (
            f"renders of the {info.get('held_out_drawings', '?')} drawings of icon set "
            f"'{info.get('held_out_icon_set', '-')}', which training never saw "
            "(leave-one-set-out), drawn with the same hand-drawn augmentation"
        ),
        **doodles,
        "doodle_note": (
            f"{doodles['doodle_count']} doodles of {doodles['doodle_categories']} categories "
            "authored as canvas strokes (tests/data/doodles.json), drawn with the tab's brush "
            "and preprocessed as the canvas is; never used for training or choosing a model"
        ),
        **{f"frozen_{key}": value for key, value in frozen.items()},
        "frozen_doodle_note": (
            f"{frozen['doodle_count']} doodles of {frozen['doodle_categories']} categories "
            "drawn in QuickDraw's manner (tests/data/sketch_test_doodles.json), frozen before "
            "any recipe change: the test set; the doodles above are the development set"
        ),
        "categories": len(labels),
        "distinct_drawings": info.get("distinct_drawings"),
        "drawings_per_category_min": counts[0] if counts else None,
        "drawings_per_category_median": counts[len(counts) // 2] if counts else None,
        "dataset": info["dataset"],
        "icon_sets": info.get("icon_sets"),
        "held_out_icon_set": info.get("held_out_icon_set"),
        "train_size": int(train_size),
        "test_size": int(len(test[1])),
        "params": int(model.count_params()),
        "epochs": int(args.epochs),
        "upstream_test_accuracy": UPSTREAM[experiment_id],
        "upstream_note": (
            "DIFFERENT DATA: upstream's figure is on real QuickDraw doodles "
            "(345 categories, QuickDraw's numpy bitmaps)"
        ),
    }
    common.save_for_serving(model, folder / "model.keras")
    (folder / "labels.json").write_text(json.dumps(labels, indent=0) + "\n")
    (folder / "drawings_per_category.json").write_text(json.dumps(per_category, indent=0) + "\n")
    common.save_metrics(folder, metrics)
    common.save_plots(folder, history)
    licences = sorted({s[3] for s in data.ICON_SETS})
    card = ModelCardData(
        license="mit",
        library_name="keras",
        tags=["image-classification", "sketch", "quickdraw", "doodle", "gradio"],
        model_name=experiment_id,
        eval_results=[
            EvalResult(
                task_type="image-classification",
                dataset_type="icon-doodles",
                dataset_name=f"held-out icon set {info.get('held_out_icon_set')} as doodles",
                metric_type="accuracy",
                metric_value=metrics["test_accuracy"],
            )
        ],
    )
    common.write_model_card(folder, card, model_card_body(title, metrics, licences))
    common.finish(folder)
    if args.refresh_fixtures and args.source == "registry" and not args.smoke:
        write_test_sample(test, labels)
        write_examples()
    return folder


def model_card_body(title: str, m: dict, licences: list[str]) -> str:
    sets = ", ".join(f"`{s[1]}` ({s[3]})" for s in data.ICON_SETS)
    frozen_top1, frozen_top3 = m["frozen_doodle_accuracy"], m["frozen_doodle_top3_accuracy"]
    return f"""
# {title}

Recognises a doodle drawn on a canvas among {m["categories"]} of QuickDraw's 345
categories. Re-creation of upstream experiment (trekhleb/machine-learning-experiments)
with upstream's architecture.

**Not trained on QuickDraw.** QuickDraw cannot be downloaded on the machines that made
this model, so it was trained on a stand-in: {m["distinct_drawings"]} outline icons
from independent icon sets, whose names were mapped to QuickDraw category names, each
"doodle-ised" (the outer contour and a few of the longest inner strokes, each
simplified by Douglas-Peucker to a handful of points; filled silhouettes and emoji
become their contours), re-drawn many times "by hand" (random stroke width, wobble and
jitter along the path, affine distortion, dropped and shortened strokes) and passed
through the canvas's own preprocessing (`core/drawing.py: to_mnist`). Icons are not
doodles: they are neater, often drawn from other viewpoints, and some categories have
only a few source drawings (min {m["drawings_per_category_min"]}, median
{m["drawings_per_category_median"]} per category; see `drawings_per_category.json`).
Expect it to be weaker on real doodles than a QuickDraw model. The only drawings authored
for this project are the two doodle sets and the tab's examples, none used in training.

| | ours | upstream |
|---|---|---|
| data | {m["train_size"]:,} renders of {m["distinct_drawings"]} icons | QuickDraw |
| categories | {m["categories"]} | 345 |
| **QuickDraw-style test doodles** top-1 / top-3 | **{frozen_top1} / {frozen_top3}** | |
| development doodles top-1 / top-3 | {m["doodle_accuracy"]} / {m["doodle_top3_accuracy"]} | |
| held-out icon set top-1 | {m["test_accuracy"]} | {m["upstream_test_accuracy"]} (QuickDraw) |
| held-out icon set top-3 | {m["test_top3_accuracy"]} | |
| parameters | {m["params"]:,} | |

Test doodles: {m["frozen_doodle_note"]}; the most frequent answer takes
{m["frozen_doodle_largest_answer_share"]} of them. Development doodles: {m["doodle_note"]}.

Held-out icon set: {m["test_note"]}.

Icon sets (npm, Iconify JSON packages, version-pinned and sha256-checked): {sets}.
Licences of the source drawings: {", ".join(licences)}.

![training curves](training_curves.png)
"""


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
        image = data.canvas(strokes, BRUSH_SIZE).convert("L")
        image.save(folder / f"{category}.png", optimize=True)


def main(
    doc: str,
    experiment_id: str,
    build_model,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    argv: list[str] | None = None,
) -> None:
    """Data -> model -> train -> evaluate -> weights/<id>/, for either sketch model;
    ``build_model(categories)`` is the entry module's network."""
    import keras

    from core.experiments import BY_ID

    args = common.parse_args(doc, epochs, argv, fixtures=True)
    keras.utils.set_random_seed(SEED)

    # Data: fresh hand-drawn renders of the training icon sets; the held-out set is test.
    (x_train, y_train), test, labels, info = load(args.source, args.smoke)
    x_train, y_train = shuffled(x_train, y_train)

    # Model: the entry module's, with as many outputs as categories.
    model = build_model(len(labels))

    # Train: Adam, decayed to a tenth over the run; resumable.
    checkpoints = common.CACHE / "checkpoints" / experiment_id
    history = train(model, x_train, y_train, args, learning_rate, batch_size, checkpoints)

    # Evaluate on the held-out icon set and write weights/<id>/.
    title = BY_ID[experiment_id].title
    folder = save(experiment_id, model, history, test, labels, info, len(x_train), args, title)
    if args.push:
        common.push(experiment_id, folder)
