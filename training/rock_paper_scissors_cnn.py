"""Rock-paper-scissors with a convolutional network trained from scratch (upstream experiment 5).

Upstream trained 4x (Conv 3x3 64/64/128/128 -> MaxPool) -> Dropout 0.5 -> Dense 512 ->
Dense 3 on tfds' 2,520 CGI hand images at 150x150 and reached 0.946 on its 372 test
images. No hand photos exist in the package registries, so here a small CNN (Conv 16
5x5 stride 2, then Conv 3x3 32/64/96 with batch norm and max pooling, global average
pooling, Dropout 0.3; 80,659 parameters, 64x64 input: cheap on a CPU) learns from hands
rendered by `training/rock_paper_scissors.py`: a posed 3-D hand skeleton
with a forearm, random joint angles, rotation, proportions, skin tone and light, drawn
two ways: flat shapes over patterned backgrounds, and ray-cast 3-D shaded skin on white
(upstream's CGI style), on plain walls, on crops of scikit-image's photos, sometimes with
a person behind the hand. Random left/right flips, shifts and zooms while training.

The CNN sees the hand, not the frame: `core.gestures.cnn_input` crops a square
around the landmarks MediaPipe's landmarker finds (30 % margin; the central square when
it finds none), here on renders drawn at 128 px, in serving on the visitor's picture.
The landmarker costs about 50 ms a picture, so crops are cached beside the renders.

Measured on data training never sees (metrics.json), with the weights of the previous
14-epoch whole-frame run served on the hand crop (`--epochs 0` re-measures them):
- 600 held-out flat renders with unseen skin tones and background families: 0.8067
  (test_accuracy; whole frame: 0.7578), answers rock 35 %, paper 30 %, scissors 35 %;
- 600 held-out shaded renders on white with unseen skin tones: 0.865 (white_accuracy;
  whole frame: 0.8583), answers rock 36 %, paper 34 %, scissors 30 %;
- the 20 real photos of npm `fingerpose`: the fist and 17 of the 19 frames of a V right
  (whole frame: 0 of 19, the man's face won).
Training on crops (4 epochs from the shipped weights, EPOCHS) has not been run to the end.
Run: `python -m training.rock_paper_scissors_cnn` (rendering and cropping about 30 minutes,
then a few minutes an epoch, on one busy CPU thread).
"""

import os

import keras
import numpy as np

from training import common
from training import rock_paper_scissors as hands

EXPERIMENT_ID = "rock_paper_scissors_cnn"
IMAGE_SIZE = 64  # the tab reads it from the model: the hand's square crop resized to this
RENDER_SIZE = 128  # renders are drawn this size, then cropped to the hand
FLAT_TRAIN, SHADED_TRAIN = 5000, 4000
TEST_SIZE, WHITE_TEST_SIZE = 600, 600
EPOCHS = 4
# Training starts from the weights in this file when it exists: the shipped CNN (which
# learned hands on whole frames) adapts to hand crops in a few epochs on a CPU.
WARM_START = common.ROOT / "weights" / EXPERIMENT_ID / "model.keras"
BATCH_SIZE = 64
SEED = 5
UPSTREAM_TEST_ACCURACY = 0.946
CHECKPOINTS = common.CACHE / "checkpoints" / f"{EXPERIMENT_ID}-hand-{IMAGE_SIZE}"


def build_model() -> keras.Model:
    """A small CNN, cheap on a CPU; pixels arrive as 0..255. Random flips while training."""
    conv = dict(padding="same", use_bias=False)
    layers = [
        keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3)),
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


def answer_shares(probabilities: np.ndarray) -> dict[str, float]:
    """How often each class is the answer (a balanced set should give about 1/3 each)."""
    answers = np.bincount(np.argmax(probabilities, axis=1), minlength=3) / len(probabilities)
    return {
        label: round(float(share), 4) for label, share in zip(hands.LABELS, answers, strict=True)
    }


def evaluate_and_save(model, landmarker, history: dict, test, white, train_size: int, args):
    """Measure on the held-out flat renders, the held-out shaded renders on white and
    (not in smoke runs) the real photos, through the served function; write weights/<id>/."""
    (x_test, y_test), (x_white, y_white) = test, white
    probabilities = model.predict(x_test.astype(np.float32), verbose=0)
    answers = model.predict(x_white.astype(np.float32), verbose=0)
    extra = {
        "white_accuracy": round(float(np.mean(np.argmax(answers, 1) == y_white)), 4),
        "white_answer_shares": answer_shares(answers),
        "white_test_set": f"{len(y_white)} held-out 3-D shaded renders on white, unseen skin tones",
        "test_answer_shares": answer_shares(probabilities),
        "image_size": IMAGE_SIZE,
    }
    shares = ", ".join(f"{k} {v:.0%}" for k, v in extra["white_answer_shares"].items())
    notes = (
        f"On {len(y_white)} held-out 3-D shaded renders on white (upstream's CGI style, "
        f"skin tones training never saw): accuracy **{extra['white_accuracy']}**; the "
        f"model answers {shares} (a third each is balanced). Input: {IMAGE_SIZE}x{IMAGE_SIZE}, "
        "a square around the hand that MediaPipe's landmarker finds (the photo's central "
        "square when it finds none)."
    )
    folder = hands.save(
        EXPERIMENT_ID, model, history, probabilities, y_test, train_size, args,
        UPSTREAM_TEST_ACCURACY, "Rock-paper-scissors (CNN)", extra, notes,
    )  # fmt: skip
    if not args.smoke:  # the served function on the few real photos in the registries
        from core.gestures import cnn_classifier

        hands.add_real_photo_metrics(folder, cnn_classifier(model, landmarker))
    common.finish(folder)
    return folder


if __name__ == "__main__":
    args = common.parse_args(__doc__, EPOCHS)
    threads = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(SEED)
    folder = common.weights_folder(EXPERIMENT_ID, args.out)
    landmarker = hands.fetch_landmarker(folder)  # served beside the CNN: it finds the hand

    # Data: rendered hands, cropped to the hand the landmarker finds (as served); the
    # test sets' skin tones (and flat backgrounds) are unseen.
    if args.source == "upstream":  # machines with internet: upstream's CGI photos
        import tensorflow_datasets as tfds

        def as_arrays(split):
            data = tfds.as_numpy(tfds.load("rock_paper_scissors", split=split, batch_size=-1))
            crops, _ = hands.cnn_inputs(data["image"], landmarker, IMAGE_SIZE)
            return crops, data["label"]  # tfds: rock, paper, scissors

        (x_train, y_train), (x_test, y_test) = as_arrays("train"), as_arrays("test")
        x_white, y_white = x_test, y_test
    else:
        flat_train, shaded_train, test, white = (
            (6, 9, 6, 6) if args.smoke else (FLAT_TRAIN, SHADED_TRAIN, TEST_SIZE, WHITE_TEST_SIZE)
        )
        render = hands.dataset if args.smoke else hands.cached_dataset
        sets = {  # name: (count, split, seed, style)
            "flat": (flat_train, "train", SEED, "flat"),
            "shaded": (shaded_train, "train", SEED + 2, "shaded"),
            "test": (test, "test", SEED + 1, "flat"),
            "white": (white, "test", SEED + 3, "shaded-white"),
        }
        if args.epochs == 0:  # only re-measure the warm start's weights: no training data
            sets = {name: sets[name] for name in ("test", "white")}
        data = {name: (np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8), np.zeros(0, int))
                for name in ("flat", "shaded")}  # fmt: skip
        for name, (count, split, seed, style) in sets.items():
            images, labels, _ = render(count, RENDER_SIZE, split, seed, style=style)
            cache_name = None if args.smoke else f"{name}-{count}-{RENDER_SIZE}-{seed}"
            crops, found = hands.cnn_inputs(images, landmarker, IMAGE_SIZE, cache_name)
            print(f"{name}: {len(labels)} renders, a hand found in {found.mean():.0%}")
            data[name] = crops, labels
        x_train, y_train = (
            np.concatenate(parts) for parts in zip(data["flat"], data["shaded"], strict=True)
        )
        order = np.random.default_rng(SEED).permutation(len(x_train))
        x_train, y_train = x_train[order], y_train[order]
        (x_test, y_test), (x_white, y_white) = data["test"], data["white"]

    # Model and training: Adam with a cosine-decayed rate; resumable from the checkpoints.
    model = build_model()
    if WARM_START.is_file() and not args.smoke:
        model.set_weights(keras.saving.load_model(WARM_START, compile=False).get_weights())
    steps = max(args.epochs * -(-len(x_train) // BATCH_SIZE), 1)
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    callbacks = [] if args.smoke else [
        keras.callbacks.BackupAndRestore(str(CHECKPOINTS)),
        keras.callbacks.ModelCheckpoint(str(CHECKPOINTS / "epoch-{epoch:02d}.keras")),
    ]  # fmt: skip
    history = model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=args.epochs,
        validation_split=0.05,
        callbacks=callbacks,
        verbose=2,
    ) if args.epochs else keras.callbacks.History()  # fmt: skip

    # Evaluate on the held-out renders and the real photos; write weights/<id>/.
    folder = evaluate_and_save(model, landmarker, history.history, (x_test, y_test),
                               (x_white, y_white), len(x_train), args)  # fmt: skip
    if args.push:
        common.push(EXPERIMENT_ID, folder)
