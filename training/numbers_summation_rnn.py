"""Numbers summation: a seq2seq LSTM that learns to add two numbers written as text.

Trains upstream's network (LSTM128 encoder -> RepeatVector3 -> LSTM128 decoder ->
TimeDistributed Dense12 softmax) on the sums a+b with
1 <= a, b <= 99, one character at a time. Unlike upstream, each number is right-aligned
(" 3+98", answer "101", "  7") and the question is fed reversed: see the codec in
core/numbers_summation.py. A fixed random 20% of the 9,801 pairs (seed 9) is held
out and never trained on: `exact_match_heldout` (whole answers right) and the per-character
accuracy are measured on those, `exact_match` on all 9,801.
Its figures: weights/numbers_summation_rnn/metrics.json (and README's experiments table).

    python -m training.numbers_summation_rnn            # 120 epochs, about 18 minutes
    python -m training.numbers_summation_rnn --epochs 200   # resumes, trains longer
    python -m training.numbers_summation_rnn --smoke --out /tmp/nsr

The data is generated, so `--source upstream` and `--source registry` are the same
sums. Checkpoints (resumable) live in CACHE/checkpoints/numbers_summation_rnn/.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
from huggingface_hub import ModelCardData

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
from training.common import (
    CACHE,
    finish,
    parse_args,
    push,
    save_metrics,
    weights_folder,
    write_model_card,
)

SEED = 9  # fixes the held-out split and the initial weights
HELDOUT_FRACTION = 0.2
UNITS = 128  # upstream's LSTM width
EPOCHS = 120
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
UPSTREAM_CHAR_ACCURACY = 0.996  # upstream notebook's final val accuracy, per character
CHECKPOINTS = CACHE / "checkpoints" / ID


def split(pairs: list[tuple[int, int]]) -> tuple[list, list]:
    """(train, heldout): a fixed random 20% of the pairs is held out, by seed."""
    order = np.random.default_rng(SEED).permutation(len(pairs))
    cut = round(len(pairs) * HELDOUT_FRACTION)
    heldout = sorted(pairs[i] for i in order[:cut])
    train = sorted(pairs[i] for i in order[cut:])
    return train, heldout


def build_model() -> keras.Model:
    """Upstream's encoder-decoder: the encoder's last state, repeated once per answer char."""
    model = keras.Sequential(
        [
            keras.Input((QUESTION_LEN, len(VOCAB))),
            keras.layers.LSTM(UNITS),
            keras.layers.RepeatVector(ANSWER_LEN),
            keras.layers.LSTM(UNITS, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(len(VOCAB), activation="softmax")),
        ],
        name=ID,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
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


def exact_match(model: keras.Model, pairs: list[tuple[int, int]]) -> float:
    """Share of questions whose whole answer is right."""
    probabilities = np.asarray(model.predict_on_batch(encode_questions(pairs)))
    right = [decode(p) == str(a + b) for p, (a, b) in zip(probabilities, pairs, strict=True)]
    return float(np.mean(right))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, EPOCHS, argv)
    keras.utils.set_random_seed(SEED)

    # Prepare the data: every sum, minus the held-out fifth.
    train, heldout = split(all_pairs())
    if args.smoke:
        train, heldout, args.epochs = train[:64], heldout[:16], 1
    x_train, y_train = encode_questions(train), encode_answers(train)
    x_heldout, y_heldout = encode_questions(heldout), encode_answers(heldout)
    print(f"{len(train)} training sums, {len(heldout)} held out")

    # Build the model, or pick up where the last run stopped.
    checkpoints = Path(tempfile.mkdtemp()) if args.smoke else CHECKPOINTS
    checkpoints.mkdir(parents=True, exist_ok=True)
    model, initial_epoch = resume_or_build(checkpoints)
    model.summary()

    # Train. The held-out loss is printed to watch, never used to pick a model.
    started = time.time()
    model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=args.epochs,
        initial_epoch=initial_epoch,
        validation_data=(x_heldout, y_heldout),
        callbacks=[
            Checkpoint(checkpoints),
            # Halve the step when the training loss stalls: the last errors are rare carries.
            keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=8, min_lr=1e-5),
        ],
        verbose=2,
    )

    # Evaluate: whole-answer accuracy on the unseen sums and on everything.
    _, char_accuracy = model.evaluate(x_heldout, y_heldout, verbose=0)
    metrics = {
        "exact_match_heldout": exact_match(model, heldout),
        "exact_match": exact_match(model, all_pairs()[:80] if args.smoke else all_pairs()),
        "char_accuracy_heldout": float(char_accuracy),
        "upstream_val_char_accuracy": UPSTREAM_CHAR_ACCURACY,
        "train_size": len(train),
        "test_size": len(heldout),
        "params": model.count_params(),
        "epochs": args.epochs,
        "train_seconds_this_run": round(time.time() - started),
    }
    print(json.dumps(metrics, indent=2))

    # Save: the model, the held-out pairs (the test sample), metrics, card, manifest.
    folder = weights_folder(ID, args.out)
    keras.saving.save_model(model, folder / "model.keras")
    (folder / "heldout.json").write_text(json.dumps(heldout) + "\n")
    save_metrics(folder, metrics)
    write_model_card(folder, card_data(metrics), card_body(metrics))
    finish(folder)
    if args.push:
        push(ID, folder)


def card_data(metrics: dict) -> ModelCardData:
    return ModelCardData(
        license="mit",
        library_name="keras",
        tags=["seq2seq", "lstm", "addition", "ml-experiments-hub"],
        model_name=ID,
        eval_results=None,
        metrics=["exact_match"],
    )


def card_body(metrics: dict) -> str:
    return f"""
# Numbers summation (seq2seq LSTM)

Reads a sum such as `74+83` character by character and writes its answer character by
character, over the alphabet `{VOCAB}`. Two input tricks differ from upstream: each
number is right-aligned (`" 3+98"`, {QUESTION_LEN} characters; answers `"  3"`,
{ANSWER_LEN}) so every digit keeps its place, and the question is fed reversed (units
first). With upstream's right-padded `"3+98 "` the same network, trained 150 epochs,
got 13 of the 1,960 unseen sums wrong (exact match 0.9934), every one with a one-digit
number (`1+2 = 4`). Upstream's architecture: LSTM{UNITS} encoder → RepeatVector
{ANSWER_LEN} → LSTM{UNITS} decoder → TimeDistributed Dense{len(VOCAB)} softmax,
{metrics["params"]:,} parameters.

## Data
Every sum a+b with 1 ≤ a, b ≤ 99 (9,801 questions). A fixed random 20% (seed {SEED},
listed in `heldout.json`) was never trained on: {metrics["train_size"]:,} training sums,
{metrics["test_size"]:,} held out. Trained {metrics["epochs"]} epochs, Adam
{LEARNING_RATE}, batch {BATCH_SIZE}; the held-out set was only watched, never used to
choose a model.

## Results
| measure | this model | upstream |
|---|---|---|
| whole answer right, held-out sums | {metrics["exact_match_heldout"]:.4f} | not reported |
| whole answer right, all 9,801 sums | {metrics["exact_match"]:.4f} | not reported |
| characters right, held-out sums | {metrics["char_accuracy_heldout"]:.4f} | \
{metrics["upstream_val_char_accuracy"]} (its own validation split) |

Reproduce: `python -m training.{ID}`. This is an experiment: the network learned to add
two-digit numbers from examples; it knows nothing outside 1..99.
"""


if __name__ == "__main__":
    main()
