"""Numbers summation: a seq2seq LSTM that learns to add two numbers written as text.

Trains upstream's network (LSTM encoder -> RepeatVector -> LSTM decoder -> per-character
softmax) on every sum a+b with 1 <= a, b <= 99, with each number right-aligned and the
question fed reversed (the codec in core/numbers_summation.py). A fixed random 20% of the
pairs is held out and never trained on: `exact_match_heldout` (whole answers right) is
measured there, `exact_match` on all of them. The data is generated, so both `--source`
values give the same sums; checkpoints (resumable) live in CACHE/checkpoints/.

    python -m training.numbers_summation_rnn [--epochs N]   # more epochs resume the run
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from core import numbers_summation
from core.numbers_summation import (
    ANSWER_LEN,
    ID,
    QUESTION_LEN,
    VOCAB,
    all_pairs,
    decode,
    encode_answers,
    encode_questions,
)
from training.common import arguments, cache, publish

CONFIG = {
    "id": ID,
    "epochs": 120,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "units": 128,  # upstream's LSTM width
    "heldout_fraction": 0.2,
    "seed": 9,  # fixes the held-out split and the initial weights
    "upstream_char_accuracy": 0.996,  # upstream notebook's final val accuracy, per character
}
CHECKPOINTS = cache.CACHE / "checkpoints" / ID


def split(
    pairs: list[tuple[int, int]],
    fraction: float = CONFIG["heldout_fraction"],
    seed: int = CONFIG["seed"],
) -> tuple[list, list]:
    """(train, heldout): a fixed random 20% of the pairs is held out, by seed."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    cut = round(len(pairs) * fraction)
    heldout = sorted(pairs[i] for i in order[:cut])
    train = sorted(pairs[i] for i in order[cut:])
    return train, heldout


def encoded_splits(smoke: bool) -> dict[str, np.ndarray]:
    """Every sum, minus the held-out fifth, one-hot encoded; the pairs themselves too."""
    train, heldout = split(all_pairs())
    if smoke:
        train, heldout = train[:64], heldout[:16]
    return {
        "train_pairs": np.array(train),
        "heldout_pairs": np.array(heldout),
        "x_train": encode_questions(train),
        "y_train": encode_answers(train),
        "x_heldout": encode_questions(heldout),
        "y_heldout": encode_answers(heldout),
    }


def prepare(smoke: bool = False) -> dict[str, np.ndarray]:
    """``encoded_splits``, cached."""
    return cache.cached_arrays(
        "numbers_summation", encoded_splits, (split, numbers_summation), smoke=smoke
    )


def build_model(units: int = CONFIG["units"], learning_rate: float = CONFIG["learning_rate"]):
    """Upstream's encoder-decoder: the encoder's last state, repeated once per answer char."""
    model = keras.Sequential(
        [
            keras.Input((QUESTION_LEN, len(VOCAB))),
            keras.layers.LSTM(units),
            keras.layers.RepeatVector(ANSWER_LEN),
            keras.layers.LSTM(units, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(len(VOCAB), activation="softmax")),
        ],
        name=ID,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class Checkpoint(keras.callbacks.Callback):
    """Saves the model (optimizer included) and the epoch reached, so a run can resume."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def on_epoch_end(self, epoch, logs=None):
        self.model.save(self.folder / "model.keras")
        (self.folder / "epoch.json").write_text(json.dumps({"epoch": epoch + 1}))


def resume_or_build(folder) -> tuple[keras.Model, int]:
    """The last checkpoint and its epoch, or a fresh model at epoch 0."""
    if (folder / "epoch.json").is_file() and (folder / "model.keras").is_file():
        epoch = json.loads((folder / "epoch.json").read_text())["epoch"]
        print(f"resuming from {folder} at epoch {epoch}")
        return keras.saving.load_model(folder / "model.keras"), epoch
    return build_model(), 0


def train(model, initial_epoch: int, data: dict, epochs: int, checkpoints: Path) -> None:
    """Adam, halving the step when the training loss stalls (the last errors are rare
    carries). The held-out loss is printed to watch, never used to pick a model."""
    model.fit(
        data["x_train"],
        data["y_train"],
        batch_size=CONFIG["batch_size"],
        epochs=epochs,
        initial_epoch=initial_epoch,
        validation_data=(data["x_heldout"], data["y_heldout"]),
        callbacks=[
            Checkpoint(checkpoints),
            keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=8, min_lr=1e-5),
        ],
        verbose=2,
    )


def exact_match(model: keras.Model, pairs: list[tuple[int, int]]) -> float:
    """Share of questions whose whole answer is right."""
    probabilities = np.asarray(model.predict_on_batch(encode_questions(pairs)))
    right = [decode(p) == str(a + b) for p, (a, b) in zip(probabilities, pairs, strict=True)]
    return float(np.mean(right))


def evaluate(model, data: dict, smoke: bool) -> dict:
    """Whole-answer accuracy on the unseen sums and on everything; per character too."""
    _, char_accuracy = model.evaluate(data["x_heldout"], data["y_heldout"], verbose=0)
    heldout = [tuple(pair) for pair in data["heldout_pairs"].tolist()]
    return {
        "exact_match_heldout": exact_match(model, heldout),
        "exact_match": exact_match(model, all_pairs()[:80] if smoke else all_pairs()),
        "char_accuracy_heldout": float(char_accuracy),
        "upstream_val_char_accuracy": CONFIG["upstream_char_accuracy"],
        "train_size": len(data["train_pairs"]),
        "test_size": len(heldout),
        "params": model.count_params(),
    }


def card_values() -> dict:
    """What the card shows beyond metrics.json: the configuration and the codec's sizes."""
    return {
        "c": CONFIG,
        "vocab": VOCAB,
        "vocab_size": len(VOCAB),
        "question_len": QUESTION_LEN,
        "answer_len": ANSWER_LEN,
    }


def main(argv: list[str] | None = None) -> dict:
    args = arguments.parse_args(__doc__, CONFIG["epochs"], argv)
    keras.utils.set_random_seed(CONFIG["seed"])
    if args.smoke:
        args.epochs = 1

    # Data: every sum, minus the held-out fifth.
    data = prepare(args.smoke)
    print(f"{len(data['train_pairs'])} training sums, {len(data['heldout_pairs'])} held out")

    # Model: the last checkpoint, or a fresh one.
    checkpoints = Path(tempfile.mkdtemp()) if args.smoke else CHECKPOINTS
    checkpoints.mkdir(parents=True, exist_ok=True)
    model, initial_epoch = resume_or_build(checkpoints)
    model.summary()

    # Train, resumable.
    started = time.time()
    train(model, initial_epoch, data, args.epochs, checkpoints)

    # Evaluate.
    metrics = evaluate(model, data, args.smoke)
    metrics.update(epochs=args.epochs, train_seconds_this_run=round(time.time() - started))
    print(json.dumps(metrics, indent=2))

    # Publish: the model, the held-out pairs (the test sample), metrics, card, manifest.
    folder = publish.weights_folder(ID, args.out)
    keras.saving.save_model(model, folder / "model.keras")
    (folder / "heldout.json").write_text(json.dumps(data["heldout_pairs"].tolist()) + "\n")
    publish.publish(
        ID,
        folder,
        metrics,
        publish.card_data(
            ["seq2seq", "lstm", "addition", "ml-experiments-hub"],
            model_name=ID,
            eval_results=None,
            metrics=["exact_match"],
        ),
        ID,
        card_values(),
        args.push,
    )
    return metrics


if __name__ == "__main__":
    main()
