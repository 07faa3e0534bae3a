"""Rock-paper-scissors with a convolutional network trained from scratch (upstream experiment 5).

Upstream trained a large CNN on tfds' CGI hands; no hand photos exist in the package
registries, so a small 64x64 CNN learns here from hands rendered by training/hands/ (a
posed 3-D skeleton drawn flat over patterned backgrounds, or shaded on white, walls and
photos). It sees the hand, not the frame: `core.gestures.cnn_input` crops around the
landmarks MediaPipe finds, in training and in serving alike. Measured on held-out renders
(unseen skins and backgrounds) and npm fingerpose's real photos; training starts from the
shipped weights when they exist (`--epochs 0` only re-measures them).

    python -m training.rock_paper_scissors_cnn [--epochs N] [--out DIR]
"""

import os

import keras
import numpy as np

from core.weights import WEIGHTS_DIR
from training import rock_paper_scissors
from training.common import arguments, cache, publish

CONFIG = {
    "id": "rock_paper_scissors_cnn",
    "title": "Rock-paper-scissors (CNN)",
    "image_size": 64,  # the tab reads it from the model: the hand's square crop resized to this
    "render_size": 128,  # renders are drawn this size, then cropped to the hand
    # name: (renders, split, seed, style); the test sets' skin tones (and flat backgrounds)
    # are unseen
    "sets": {
        "flat": (5000, "train", 5, "flat"),
        "shaded": (4000, "train", 7, "shaded"),
        "test": (600, "test", 6, "flat"),
        "white": (600, "test", 8, "shaded-white"),
    },
    "smoke_sets": {"flat": 6, "shaded": 9, "test": 6, "white": 6},
    "epochs": 10,  # from the warm start; validation accuracy still rose at 4
    "batch_size": 64,
    "seed": 5,
    "upstream": 0.946,  # upstream's accuracy on tfds' 372 CGI test images
}
# Training starts from the weights in this file when it exists: the shipped CNN adapts to
# new data in a few epochs on a CPU.
WARM_START = WEIGHTS_DIR / CONFIG["id"] / "model.keras"
CHECKPOINTS = cache.CACHE / "checkpoints" / f"{CONFIG['id']}-hand-{CONFIG['image_size']}"


def build_model(size: int) -> keras.Model:
    """A small CNN, cheap on a CPU; pixels arrive as 0..255. Random flips while training."""
    conv = dict(padding="same", use_bias=False)
    layers = [
        keras.Input((size, size, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.RandomFlip("horizontal"),  # left and right hands
        keras.layers.RandomTranslation(0.08, 0.08),  # the landmarker's box is not exact
        keras.layers.RandomZoom(0.15),
        keras.layers.Conv2D(16, 5, strides=2, **conv),  # 64 -> 32
    ]
    for filters in (32, 64, 96):
        layers += [keras.layers.BatchNormalization(), keras.layers.ReLU()]
        if filters != 96:
            layers.append(keras.layers.MaxPooling2D())  # 32 -> 16 -> 8
        layers.append(keras.layers.Conv2D(filters, 3, **conv))
    layers += [
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3, activation="softmax"),
    ]
    return keras.Sequential(layers)


def rendered_sets(config: dict, args) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (crops, labels): rendered hands cropped to the hand the landmarker finds, as
    served. Re-measuring only (``--epochs 0``) renders no training sets."""
    size = config["image_size"]
    empty = (np.zeros((0, size, size, 3), np.uint8), np.zeros(0, int))
    data = {"flat": empty, "shaded": empty}
    names = ("test", "white") if args.epochs == 0 else tuple(config["sets"])
    for name in names:
        count, split, seed, style = config["sets"][name]
        count = config["smoke_sets"][name] if args.smoke else count
        workers = 1 if args.smoke else 2
        images, labels, _ = rock_paper_scissors.prepare(
            count, config["render_size"], split, seed, style, workers
        )
        crops, found = rock_paper_scissors.hand_crops(images, size)
        print(f"{name}: {len(labels)} renders, a hand found in {found.mean():.0%}")
        data[name] = crops, labels
    return data


def upstream_sets(size: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Machines with internet: upstream's CGI photos (tfds), cropped to the hand."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as missing:  # an optional install (Colab has it): not in the locks
        raise SystemExit(
            "--source upstream reads tensorflow-datasets' rock_paper_scissors: "
            "pip install tensorflow-datasets"
        ) from missing

    data = {}
    for split in ("train", "test"):
        arrays = tfds.as_numpy(tfds.load("rock_paper_scissors", split=split, batch_size=-1))
        crops, _ = rock_paper_scissors.hand_crops(arrays["image"], size)
        data[split] = crops, arrays["label"]  # tfds: rock, paper, scissors
    return {"flat": data["train"], "test": data["test"], "white": data["test"]}


def train(model, x_train, y_train, config: dict, args) -> dict:
    """Adam with a cosine-decayed rate, from the warm start; resumable from checkpoints."""
    if WARM_START.is_file() and not args.smoke:
        model.set_weights(keras.saving.load_model(WARM_START, compile=False).get_weights())
    if not args.epochs:
        return {}
    steps = max(args.epochs * -(-len(x_train) // config["batch_size"]), 1)
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    callbacks = [] if args.smoke else [
        keras.callbacks.BackupAndRestore(str(CHECKPOINTS)),
        keras.callbacks.ModelCheckpoint(str(CHECKPOINTS / "epoch-{epoch:02d}.keras")),
    ]  # fmt: skip
    return model.fit(
        x_train,
        y_train,
        batch_size=config["batch_size"],
        epochs=args.epochs,
        validation_split=0.05,
        callbacks=callbacks,
        verbose=2,
    ).history


def answer_shares(probabilities: np.ndarray) -> dict[str, float]:
    """How often each class is the answer (a balanced set should give about 1/3 each)."""
    answers = np.bincount(np.argmax(probabilities, axis=1), minlength=3) / len(probabilities)
    labels = rock_paper_scissors.LABELS
    return {label: round(float(share), 4) for label, share in zip(labels, answers, strict=True)}


def evaluate(model, landmarker, test, white, args) -> tuple[dict, dict]:
    """The held-out flat renders, the held-out shaded renders on white and (not in smoke
    runs) the real photos through the served function: metrics and the card's values."""
    from core.gestures import cnn_classifier

    (x_test, y_test), (x_white, y_white) = test, white
    probabilities = model.predict(x_test.astype(np.float32), verbose=0)
    answers = model.predict(x_white.astype(np.float32), verbose=0)
    metrics = {
        **rock_paper_scissors.test_metrics(probabilities, y_test),
        "white_accuracy": round(float(np.mean(np.argmax(answers, 1) == y_white)), 4),
        "white_answer_shares": answer_shares(answers),
        "white_test_set": f"{len(y_white)} held-out 3-D shaded renders on white, unseen skin tones",
        "test_answer_shares": answer_shares(probabilities),
        "image_size": CONFIG["image_size"],
    }
    if not args.smoke:  # the served function on the few real photos in the registries
        metrics.update(rock_paper_scissors.real_photo_metrics(cnn_classifier(model, landmarker)))
    shares = ", ".join(f"{k} {v:.0%}" for k, v in metrics["white_answer_shares"].items())
    return metrics, {"white_count": len(y_white), "shares": shares}


def main(argv: list[str] | None = None) -> dict:
    args = arguments.parse_args(__doc__, CONFIG["epochs"], argv)
    arguments.limit_threads(int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1")))
    keras.utils.set_random_seed(CONFIG["seed"])
    folder = publish.weights_folder(CONFIG["id"], args.out)
    # served beside the CNN: it finds the hand
    landmarker = rock_paper_scissors.fetch_landmarker(folder)

    # Data: rendered hands (or upstream's photos), cropped to the hand the landmarker finds.
    if args.source == "upstream":
        data = upstream_sets(CONFIG["image_size"])
    else:
        data = rendered_sets(CONFIG, args)
    parts = [data[name] for name in ("flat", "shaded") if name in data]
    x_train, y_train = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    order = np.random.default_rng(CONFIG["seed"]).permutation(len(x_train))
    x_train, y_train = x_train[order], y_train[order]

    # Model and training: Adam with a cosine-decayed rate; resumable from the checkpoints.
    model = build_model(CONFIG["image_size"])
    history = train(model, x_train, y_train, CONFIG, args)

    # Evaluate on the held-out renders and the real photos; write weights/<id>/.
    metrics, values = evaluate(model, landmarker, data["test"], data["white"], args)
    metrics["train_size"] = int(len(x_train))
    warm = WARM_START.is_file() and not args.smoke
    metrics["warm_start"] = "the weights shipped before this run" if warm else None
    rock_paper_scissors.save(CONFIG, model, history, metrics, args, values)
    return metrics


if __name__ == "__main__":
    main()
