"""Clothes generation: a DCGAN that draws Fashion-MNIST clothes from 100-d noise.

Upstream's experiment 13, retrained with the DCGAN paper's recipe. Generator: a projection
of the noise to 7x7x128 and two stride-2 transposed convolutions, batch norm and ReLU after
every layer but the tanh output (785k parameters; upstream's 2.3M-parameter generator took
40 minutes for 1,600 steps on 2 shared CPU cores). Discriminator: two strided convolutions
with LeakyReLU 0.2, batch norm on the second, no dropout. Adam 2e-4 with beta1 0.5 for
both, binary cross-entropy on logits, real images labelled 0.9 (one-sided label
smoothing), batch 128. Trained on the 60,000 Fashion-MNIST training images from Debian's
`dataset-fashion-mnist` (the 10,000 test images stay out, as the reference for the
metrics); `--source upstream` loads the same data through `keras.datasets.fashion_mnist`.

Upstream reported losses only. Here sample quality is measured with a small Fashion-MNIST
classifier trained on the train split (shipped beside the generator, see metrics.json for
its test accuracy): the Frechet distance between its penultimate features of 10,000
generated and 10,000 real test images (FID), the share of samples it classifies with
confidence >= 0.9 and how many of the 10 classes the samples cover. The same figures for
the real test images are the reference (their FID is taken against 10,000 real training
images: the floor a perfect generator would reach). A memorisation check looks up the
nearest training image of 1,000 samples (L2 in pixel space) and counts near-copies.

The served generator is an exponential moving average of the trained generator's weights
(decay 0.999, batch-norm statistics included). After every epoch 5,000 samples of the
average, of latents of their own, are compared with 10,000 real *training* images, and the
average with the lowest FID is kept: the choice never sees the test images nor the latents
of the reported figures. The first run (no average) stopped at 13 epochs for CPU time; the
run that followed went on from its epoch-12 generator (`--warm-start`, the step counter
starting at epoch 12) with a new discriminator trained alone for 200 steps first; see
metrics.json and the card for the figures and the FID-by-epoch curves.

Training resumes from the last checkpoint (outside git; `--checkpoints` chooses the
folder); every epoch it saves a checkpoint (both networks, the average, both optimisers,
the step) and the epoch's average, and every 200 steps a preview grid of the same 16
latent vectors, which become the training-progress GIF. A run asked for fewer epochs than
the checkpoint holds only re-measures and re-saves.

    python -m training.clothes_generation_dcgan --epochs 25 \
        --warm-start weights/clothes_generation_dcgan/model.keras --checkpoints DIR
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from huggingface_hub import ModelCardData
from PIL import Image

from core.dcgan import ID, LATENT_DIM, grid, to_pixels
from training.common import (
    CACHE,
    debian_package,
    finish,
    parse_args,
    push,
    save_metrics,
    weights_folder,
    write_model_card,
)

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_SHA256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
DATA_DIR = "usr/share/datasets/fashion-mnist"
CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

BATCH_SIZE = 128  # the DCGAN paper's
LEARNING_RATE = 2e-4  # the DCGAN paper's Adam, both networks
BETA_1 = 0.5  # (Keras' default 0.9 makes the adversarial game oscillate)
REAL_LABEL = 0.9  # one-sided label smoothing: the discriminator's target for real images
EPOCHS = 25
EMA_DECAY = 0.999  # the served generator: the moving average of the trained one's weights
WARM_START_EPOCH = 12  # the generator shipped before the moving average came (epoch 12)
D_WARMUP_STEPS = 468  # a new discriminator trains alone this long (an epoch) against it
# after a warm start the generator learns 4x slower than the new discriminator (two time
# scales): at 2e-4 for both, the generator outran the new discriminator (its loss at
# chance, 1.39) and FID rose for 4 epochs (attempt 1, see FIRST_WARM_START)
WARM_G_LEARNING_RATE = 5e-5
PREVIEW_EVERY = 200  # steps between preview frames of the training GIF
PREVIEW_SEED = 1234  # the fixed latents of the preview grid
PREVIEW_SIDE = 4  # a 4x4 grid
GIF_SCALE = 2  # preview tiles are 28 px; doubled for the GIF
SELECT_SAMPLES = 5_000  # generated each epoch to choose the checkpoint by FID
SELECT_SEED = 1  # their latents (the reported figures use other latents, seed 0)
EVAL_SAMPLES = 10_000
CONFIDENT = 0.9
MEMORISATION_SAMPLES = 1_000  # samples whose nearest training images are looked up
NEAR_COPY = 0.8  # L2 in [0, 1] pixels (RMS 0.029 a pixel): closer is a near-copy
CLASSIFIER_EPOCHS = 3
CLASSIFIER_FILE = "fashion_classifier.keras"  # shipped: the tests re-measure with it
REFERENCE_FILE = "fid_reference.npz"  # mean and covariance of the real test features
# upstream's recipe (the model shipped before this one), measured with this classifier
PREVIOUS = {"fid": 54.46, "confident_share": 0.0414, "class_coverage": 10}
CHECKPOINTS = CACHE / "checkpoints" / ID
# the first run (epochs 1-12, no moving average, stopped at 13 for time): FID of its
# generator on 5,000 samples against the real test images, after every epoch; its epoch-12
# generator is the warm start of the run that followed
# attempt 1 of the warm start (200 discriminator-only steps, then 2e-4 for both): FID of
# the moving average on the choice's samples after epochs 13-16, when it was stopped
FIRST_WARM_START = {"13": 5.44, "14": 6.33, "15": 7.23, "16": 7.60}
FIRST_RUN = {
    "1": 52.42,
    "2": 26.11,
    "3": 17.03,
    "4": 13.36,
    "5": 11.64,
    "6": 9.05,
    "7": 8.47,
    "8": 7.60,
    "9": 7.34,
    "10": 6.09,
    "11": 5.30,
    "12": 5.15,
}


# ---------------------------------------------------------------- data


def _idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped), as Fashion-MNIST ships: big-endian dims after a magic word."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_data(source: str = "registry") -> tuple[tuple, tuple]:
    """(x_train, y_train), (x_test, y_test) as uint8 (N, 28, 28) images and labels."""
    if source == "upstream":
        import keras

        return keras.datasets.fashion_mnist.load_data()
    folder = debian_package(DEBIAN_PACKAGE, DEBIAN_SHA256) / DATA_DIR
    return tuple(
        (
            _idx(folder / f"{split}-images-idx3-ubyte.gz"),
            _idx(folder / f"{split}-labels-idx1-ubyte.gz"),
        )
        for split in ("train", "t10k")
    )


def to_gan(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [-1, 1], the generator's tanh range."""
    return (images.astype(np.float32)[..., None] - 127.5) / 127.5


# ---------------------------------------------------------------- models


def make_generator():
    """100-d noise -> (28, 28, 1) image in [-1, 1]: the DCGAN paper's layout, slimmed.

    A projection to 7x7x128, then two stride-2 transposed convolutions (4x4 kernels, which
    the stride divides, so no checkerboard); batch norm and ReLU after every layer but the
    output, which is tanh. About a third of upstream's parameters and a seventh of its
    arithmetic, so that 20 epochs fit on two CPU cores.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((LATENT_DIM,)),
            layers.Dense(7 * 7 * 128, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
        ],
        name="generator",
    )


def make_discriminator():
    """(28, 28, 1) image -> one real/fake logit: strided convolutions, LeakyReLU 0.2.

    As in the DCGAN paper: no batch norm on the first layer, batch norm on the others, no
    pooling and no dropout. Half upstream's widths (32 and 64 filters): the discriminator
    runs three times a step, so its width sets most of the cost.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(64, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name="discriminator",
    )


def make_classifier():
    """The feature network of the metrics: a small CNN; its 128-d Dense layer is the feature."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu", name="features"),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ],
        name="fashion_classifier",
    )


# ---------------------------------------------------------------- metrics


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of (N, D) features: all FID needs of one side."""
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(a, b) -> float:
    """Frechet distance between Gaussians fitted to two (N, D) feature sets (FID's formula).

    Either side may be given as its (mean, covariance) instead of its features.
    |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)); the trace of the matrix square
    root is taken from the eigenvalues of C_a^(1/2) C_b C_a^(1/2), which is symmetric, so
    no complex square roots creep in.
    """
    mean_a, cov_a = a if isinstance(a, tuple) else feature_statistics(a)
    mean_b, cov_b = b if isinstance(b, tuple) else feature_statistics(b)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(distance, 0.0))


def sample_quality(features, probabilities, reference) -> dict:
    """FID against the reference (features or their statistics), confident share and
    class coverage of a sample."""
    predicted = probabilities.argmax(axis=1)
    shares = np.bincount(predicted, minlength=len(CLASSES)) / len(predicted)
    return {
        "fid": round(frechet_distance(features, reference), 4),
        "confident_share": round(float((probabilities.max(axis=1) >= CONFIDENT).mean()), 4),
        # a class counts as covered when at least 1% of the samples fall in it
        "class_coverage": int((shares >= 0.01).sum()),
        "class_shares": {name: round(float(s), 4) for name, s in zip(CLASSES, shares, strict=True)},
    }


def nearest_distances(images: np.ndarray, train: np.ndarray, chunk: int = 250) -> np.ndarray:
    """For each uint8 (N, 28, 28) image, the L2 distance to its nearest ``train`` image.

    Pixels count in [0, 1], so two images that differ by d in every pixel are 28 d apart.
    |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, a chunk of images against all of ``train`` at once.
    """
    flat_train = train.reshape(len(train), -1).astype(np.float32) / 255
    train_norms = (flat_train**2).sum(axis=1)
    distances = []
    for i in range(0, len(images), chunk):
        flat = images[i : i + chunk].reshape(-1, flat_train.shape[1]).astype(np.float32) / 255
        squared = (flat**2).sum(axis=1)[:, None] + train_norms[None] - 2 * flat @ flat_train.T
        distances.append(np.sqrt(np.clip(squared.min(axis=1), 0, None)))
    return np.concatenate(distances)


def memorisation(samples: np.ndarray, real: np.ndarray, train: np.ndarray) -> dict:
    """Is any generated sample a near-copy of a training image?

    The nearest training image of every sample, against the same for as many real test
    images (uint8 pictures): a sample is a near-copy when it lies closer to a training image
    than NEAR_COPY, which is under the closest real test image's distance (0.83 for the
    first 1,000 test images: even Fashion-MNIST's own near-duplicates across its splits are
    further apart). The distances of the real test images are the yardstick.
    """
    generated, real = nearest_distances(samples, train), nearest_distances(real, train)
    return {
        "samples": len(samples),
        "near_copy_threshold": NEAR_COPY,
        "near_copies": int((generated < NEAR_COPY).sum()),
        "nearest_train_distance": {
            "min": round(float(generated.min()), 4),
            "median": round(float(np.median(generated)), 4),
        },
        "real_test_nearest_train_distance": {
            "min": round(float(real.min()), 4),
            "first_percentile": round(float(np.percentile(real, 1)), 4),
            "median": round(float(np.median(real)), 4),
        },
        # samples closer to the training set than all but 1% of real test images are
        "share_under_real_first_percentile": round(
            float((generated < np.percentile(real, 1)).mean()), 4
        ),
    }


# ---------------------------------------------------------------- training


def train_classifier(x_train, y_train, x_test, y_test, epochs: int, path: Path | None):
    """The metrics' classifier, trained once and cached beside the GAN checkpoints."""
    import keras

    if path is not None and path.is_file():
        classifier = keras.saving.load_model(path)
    else:
        classifier = make_classifier()
        classifier.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        classifier.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=2)
        if path is not None:
            classifier.save(path)
    _, accuracy = classifier.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return classifier, float(accuracy)


def feature_model(classifier):
    """The classifier with two outputs: its 128-d features and its class probabilities."""
    import keras

    return keras.Model(
        classifier.inputs, [classifier.get_layer("features").output, classifier.outputs[0]]
    )


def generated_quality(generator, features, latents: np.ndarray, reference) -> dict:
    """sample_quality of the generator's images of ``latents``, as uint8 pictures."""
    images = to_pixels(generator.predict(latents, batch_size=500, verbose=0))[..., None] / 255.0
    fake_features, fake_probabilities = features.predict(images, batch_size=1000, verbose=0)
    return sample_quality(fake_features, fake_probabilities, reference)


def train_gan(
    images: np.ndarray,
    steps: int,
    steps_per_epoch: int,
    checkpoints: Path,
    evaluate,
    warm_start: Path | None = None,
):
    """Train (or resume) the DCGAN for ``steps`` batches in all, choosing by FID.

    The generator's weights are averaged as they train (an exponential moving average,
    decay EMA_DECAY); the average is what gets measured and shipped. After every epoch
    ``evaluate(generator, ema)`` measures both (a dict with at least ``fid``, the selection
    figure); the average with the lowest selection FID so far is kept beside the
    checkpoints, and every epoch's average is kept too. A fresh run may ``warm_start``
    from a saved generator of ``steps_per_epoch``-step epochs (its step counter starts at
    the epoch it was saved at, ``WARM_START_EPOCH``): its discriminator is new and first
    trains alone for D_WARMUP_STEPS batches. Returns the chosen average, the history of
    the measurements (one per epoch), the mean losses of the last epoch and the steps done
    (more than ``steps`` when an earlier run went further: it is never rolled back).
    """
    import keras
    import tensorflow as tf

    batch_size = len(images) // steps_per_epoch
    generator, discriminator = make_generator(), make_discriminator()
    ema = make_generator()
    g_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1)
    d_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1)
    g_optimizer.build(generator.trainable_variables)
    d_optimizer.build(discriminator.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    d_warmup = tf.Variable(D_WARMUP_STEPS, dtype=tf.int64)  # discriminator-only steps left
    g_learning_rate = tf.Variable(LEARNING_RATE)  # lowered after a warm start
    last_losses = tf.Variable([np.nan, np.nan])  # generator, discriminator: for metrics.json
    checkpoint = tf.train.Checkpoint(
        generator=generator,
        ema=ema,
        discriminator=discriminator,
        g_optimizer=g_optimizer,
        d_optimizer=d_optimizer,
        step=step,
        d_warmup=d_warmup,
        g_learning_rate=g_learning_rate,
        last_losses=last_losses,
    )
    manager = tf.train.CheckpointManager(checkpoint, checkpoints / "ckpt", max_to_keep=2)
    history_file, best_file = checkpoints / "history.json", checkpoints / "best_generator.keras"
    history = []
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
        print(f"resumed from {manager.latest_checkpoint} (step {int(step.numpy())})")
        if history_file.is_file():  # measurements past the checkpoint are redone
            history = [
                entry
                for entry in json.loads(history_file.read_text())
                if entry["step"] <= int(step.numpy())
            ]
    elif warm_start is not None:
        generator.set_weights(keras.saving.load_model(warm_start, compile=False).get_weights())
        step.assign(WARM_START_EPOCH * steps_per_epoch)
        g_learning_rate.assign(WARM_G_LEARNING_RATE)
        print(f"warm start from {warm_start} (epoch {WARM_START_EPOCH}, step {int(step.numpy())})")
    else:
        d_warmup.assign(0)  # both networks start from scratch together
    if not manager.latest_checkpoint:
        for average, weight in zip(ema.weights, generator.weights, strict=True):
            average.assign(weight)
    g_optimizer.learning_rate = float(g_learning_rate.numpy())

    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def discriminator_loss(real, fake):
        real_logits = discriminator(real, training=True)
        fake_logits = discriminator(fake, training=True)
        # the truth, with real images labelled 0.9 rather than 1 (one-sided label smoothing)
        loss = bce(tf.fill(tf.shape(real_logits), REAL_LABEL), real_logits)
        return loss + bce(tf.zeros_like(fake_logits), fake_logits), fake_logits

    @tf.function(jit_compile=True)
    def train_step(real):
        noise = tf.random.normal([tf.shape(real)[0], LATENT_DIM])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            # real and fake images go through the discriminator as separate batches, so
            # its batch norm sees pure batches, as in the DCGAN paper
            d_loss, fake_logits = discriminator_loss(real, fake)
            # the generator wants its fakes called real
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
        d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
        # the moving average of every generator weight (batch-norm statistics included)
        for average, weight in zip(ema.weights, generator.weights, strict=True):
            average.assign(EMA_DECAY * average + (1 - EMA_DECAY) * weight)
        return g_loss, d_loss

    @tf.function(jit_compile=True)
    def discriminator_step(real):
        """A new discriminator catches up with a warm-started generator, which stays put."""
        fake = generator(tf.random.normal([tf.shape(real)[0], LATENT_DIM]), training=False)
        with tf.GradientTape() as tape:
            d_loss, _ = discriminator_loss(real, fake)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables, strict=True))
        return d_loss

    dataset = iter(
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(len(images))
        .repeat()
        .batch(batch_size, drop_remainder=True)
        .prefetch(2)
    )
    if int(d_warmup.numpy()) > 0:
        start, d_sum = time.time(), 0.0
        for _ in range(int(d_warmup.numpy())):
            d_sum += float(discriminator_step(next(dataset)))
        print(
            f"discriminator warm-up: {int(d_warmup.numpy())} steps, mean loss "
            f"{d_sum / int(d_warmup.numpy()):.4f}, {time.time() - start:.0f} s",
            flush=True,
        )
        d_warmup.assign(0)
        manager.save()
    preview = np.random.default_rng(PREVIEW_SEED).standard_normal((PREVIEW_SIDE**2, LATENT_DIM))
    previews = checkpoints / "previews"
    previews.mkdir(parents=True, exist_ok=True)
    g_sum, d_sum, count, start = 0.0, 0.0, 0, time.time()
    done = int(step.numpy())
    while done < steps:
        g_loss, d_loss = train_step(next(dataset))
        g_sum, d_sum, count = g_sum + float(g_loss), d_sum + float(d_loss), count + 1
        step.assign_add(1)
        done += 1
        if done % PREVIEW_EVERY == 0 or done == steps:
            tiles = to_pixels(ema(preview.astype(np.float32), training=False).numpy())
            Image.fromarray(grid(tiles, PREVIEW_SIDE)).save(previews / f"step_{done:06d}.png")
        if done % 50 == 0:
            print(f"step {done}: {(time.time() - start) / count:.3f} s/step", flush=True)
        if done % steps_per_epoch and done < steps:
            continue
        # every epoch: the mean losses, the measurements, the best average, a checkpoint
        seconds = (time.time() - start) / count
        last_losses.assign([g_sum / count, d_sum / count])
        entry = {
            "epoch": round(done / steps_per_epoch, 2),
            "step": done,
            **evaluate(generator, ema),
            "generator_loss": round(g_sum / count, 4),
            "discriminator_loss": round(d_sum / count, 4),
            "seconds_per_step": round(seconds, 3),
        }
        ema.save(checkpoints / f"ema_step_{done:06d}.keras")
        if not history or entry["fid"] < min(e["fid"] for e in history) or not best_file.exists():
            ema.save(best_file)
            entry["best"] = True
        history.append(entry)
        history_file.write_text(json.dumps(history, indent=1))
        manager.save()
        print(f"{entry}", flush=True)
        g_sum, d_sum, count, start = 0.0, 0.0, 0, time.time()
    g_loss, d_loss = (None if np.isnan(v) else round(float(v), 4) for v in last_losses.numpy())
    best = keras.saving.load_model(best_file, compile=False) if best_file.exists() else ema
    losses = {"generator_loss": g_loss, "discriminator_loss": d_loss}
    return best, history, losses, done


def training_gif(previews: Path, path: Path, max_frames: int = 40) -> None:
    """The preview grids as one looping GIF (the last frame held longer)."""
    frames = sorted(previews.glob("step_*.png"))
    if len(frames) > max_frames:  # keep the GIF small: evenly spaced frames, the last kept
        keep = np.unique(np.linspace(0, len(frames) - 1, max_frames).round().astype(int))
        frames = [frames[i] for i in keep]
    images = []
    for frame in frames:
        image = Image.open(frame).convert("L")
        images.append(image.resize((image.width * GIF_SCALE, image.height * GIF_SCALE)))
    durations = [300] * (len(images) - 1) + [2000]
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=True
    )


def main(argv: list[str] | None = None) -> None:
    import argparse

    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--checkpoints", type=Path, default=CHECKPOINTS)
    extra.add_argument(
        "--warm-start", type=Path, default=None, help="a generator saved at WARM_START_EPOCH"
    )
    extra_args, argv = extra.parse_known_args(argv)
    args = parse_args(__doc__, EPOCHS, argv)
    import keras
    import tensorflow as tf

    try:  # one inter-op thread: the CPUs are shared
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already running (in a test session): leave it
        pass
    keras.utils.set_random_seed(0)

    # Prepare the data: [-1, 1] for the GAN (tanh output), [0, 1] for the classifier.
    (x_train, y_train), (x_test, y_test) = load_data(args.source)
    checkpoints, batch_size = extra_args.checkpoints, BATCH_SIZE
    select_count, eval_count = SELECT_SAMPLES, EVAL_SAMPLES
    if args.smoke:  # one step on tiny data, with throwaway checkpoints
        x_train, y_train, x_test, y_test = x_train[:64], y_train[:64], x_test[:64], y_test[:64]
        args.epochs, batch_size, select_count, eval_count = 1, 64, 64, 64
        checkpoints = Path(tempfile.mkdtemp(prefix=f"{ID}-smoke-"))
    checkpoints.mkdir(parents=True, exist_ok=True)
    folder = weights_folder(ID, args.out)
    gan_images = to_gan(x_train)
    real_train, real_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0

    # The measuring stick first: the classifier, its features of the real test images.
    classifier, accuracy = train_classifier(
        real_train,
        y_train,
        real_test,
        y_test,
        1 if args.smoke else CLASSIFIER_EPOCHS,
        None if args.smoke else checkpoints / CLASSIFIER_FILE,
    )
    features = feature_model(classifier)
    test_features, test_probabilities = features.predict(
        real_test[:eval_count], batch_size=1000, verbose=0
    )
    train_features, _ = features.predict(real_train[:eval_count], batch_size=1000, verbose=0)
    reference = feature_statistics(test_features)
    train_reference = feature_statistics(train_features)

    # Train the GAN (resuming where the last run stopped), measuring it after every epoch,
    # and keep the average generator with the lowest FID. The choice never sees the test
    # images nor the reported latents: it compares samples of latents of its own (seed 1)
    # with real *training* images. The test-image FID of other latents (seed 0) is logged
    # beside it for the curve only.
    select = np.random.default_rng(SELECT_SEED).standard_normal((select_count, LATENT_DIM))
    select = select.astype(np.float32)
    curve = np.random.default_rng(0).standard_normal((select_count, LATENT_DIM))
    curve = curve.astype(np.float32)

    def evaluate(generator, ema) -> dict:
        chosen_on = generated_quality(ema, features, select, train_reference)
        return {
            "fid": chosen_on["fid"],
            "confident_share": chosen_on["confident_share"],
            "class_coverage": chosen_on["class_coverage"],
            "raw_fid": generated_quality(generator, features, select, train_reference)["fid"],
            "test_fid": generated_quality(ema, features, curve, reference)["fid"],
        }

    steps_per_epoch = len(gan_images) // batch_size
    keras.utils.set_random_seed(0)
    generator, history, losses, steps = train_gan(
        gan_images,
        args.epochs * steps_per_epoch,
        steps_per_epoch,
        checkpoints,
        evaluate,
        None if args.smoke else extra_args.warm_start,
    )
    chosen = min(history, key=lambda entry: entry["fid"])

    # Measure the chosen generator on other latents: the figures reported.
    noise = np.random.default_rng(0).standard_normal((eval_count, LATENT_DIM)).astype(np.float32)
    metrics = {
        "epochs": round(steps / steps_per_epoch, 2),
        "steps": steps,
        "chosen_epoch": chosen["epoch"],
        "chosen_step": chosen["step"],
        "batch_size": batch_size,
        "train_size": len(x_train),
        "test_size": len(x_test),
        "params": generator.count_params(),
        "classifier_test_accuracy": round(accuracy, 4),
        **losses,
        **generated_quality(generator, features, noise, reference),
        # real test images: their own confidence and coverage, FID against real train images
        "real_reference": sample_quality(test_features, test_probabilities, train_features),
        "eval_samples": eval_count,
        "select_samples": select_count,
        "memorisation": memorisation(
            to_pixels(generator.predict(noise[:MEMORISATION_SAMPLES], verbose=0)),
            x_test[:MEMORISATION_SAMPLES],
            x_train,
        ),
        "ema_decay": EMA_DECAY,
        "warm_start_epoch": None if extra_args.warm_start is None else WARM_START_EPOCH,
        # the choice: samples of latents of their own against real training images
        "fid_by_epoch": {str(entry["epoch"]): entry["fid"] for entry in history},
        # the curve on the test images (other latents, 5,000 of them), never used to choose
        "test_fid_by_epoch": {
            str(entry["epoch"]): entry["test_fid"] for entry in history if "test_fid" in entry
        },
        # the trained generator itself, not its moving average (selection figure)
        "raw_fid_by_epoch": {
            str(entry["epoch"]): entry["raw_fid"] for entry in history if "raw_fid" in entry
        },
        **(
            {"first_run_fid_by_epoch": FIRST_RUN, "first_warm_start_fid_by_epoch": FIRST_WARM_START}
            if extra_args.warm_start
            else {}
        ),
        "upstream": "losses only: D 1.24, G 0.90 at epoch 2700 (no sample-quality figure)",
        "previous_recipe": PREVIOUS,
        "source": args.source,
    }

    # Save: the chosen generator (the discriminator stays in the checkpoint), the classifier
    # and the reference statistics the tests re-measure with, the GIF, a sample grid.
    keras.saving.save_model(generator, folder / "model.keras")
    classifier.save(folder / CLASSIFIER_FILE, include_optimizer=False)
    np.savez_compressed(folder / REFERENCE_FILE, mean=reference[0], covariance=reference[1])
    training_gif(checkpoints / "previews", folder / "training.gif")
    Image.fromarray(grid(to_pixels(generator(noise[:64], training=False).numpy()), 8)).save(
        folder / "samples.png"
    )
    save_metrics(folder, metrics)
    write_model_card(folder, _card_data(metrics), _card_body(metrics))
    finish(folder)
    if args.push:
        push(ID, folder)


def _card_data(metrics: dict) -> ModelCardData:
    return ModelCardData(
        license="mit",
        library_name="keras",
        tags=["gan", "dcgan", "image-generation", "fashion-mnist", "ml-experiments-hub"],
        datasets=["fashion_mnist"],
        pipeline_tag="unconditional-image-generation",
    )


def _curve(by_epoch: dict) -> str:
    return ", ".join(f"{epoch.split('.')[0]}: {fid:.2f}" for epoch, fid in by_epoch.items())


def _card_body(metrics: dict) -> str:
    real = metrics["real_reference"]
    n = f"{metrics['eval_samples']:,}"
    confident, real_confident = metrics["confident_share"], real["confident_share"]
    coverage, real_coverage = metrics["class_coverage"], real["class_coverage"]
    copies = metrics["memorisation"]
    warm = metrics.get("warm_start_epoch")
    first_run = _curve(metrics.get("first_run_fid_by_epoch", {}))
    real_distances = copies["real_test_nearest_train_distance"]
    history = (
        f"""The first {warm} epochs are an earlier run without the moving average (FID of its
generator on 5,000 samples against the real test images by epoch: {first_run});
the training went on from its epoch-{warm} generator with a new discriminator, which first
trained alone for {D_WARMUP_STEPS} steps, and the moving average started there. """
        if warm
        else ""
    )
    return f"""
# {ID}: clothes from noise with a DCGAN

A DCGAN after upstream's experiment 13 (trekhleb/machine-learning-experiments), retrained
with the DCGAN paper's recipe: a {metrics["params"]:,}-parameter generator from 100-d
Gaussian noise to a 28x28 image (a projection to 7x7x128, two stride-2 transposed
convolutions; batch norm and ReLU everywhere but the tanh output) against a two-convolution
discriminator (LeakyReLU 0.2, batch norm on all but its first layer, no dropout); Adam 2e-4
with beta1 0.5 for both, binary cross-entropy on logits, real images labelled
{REAL_LABEL} (one-sided label smoothing). What ships is an exponential moving average of
the generator's weights (decay {metrics["ema_decay"]}, batch-norm statistics included),
which smooths the oscillation of the adversarial game (`model.keras`, input (N, 100),
output (N, 28, 28, 1) in [-1, 1]).

![64 samples of the shipped generator](samples.png)

It trained {metrics["epochs"]} epochs ({metrics["steps"]:,} steps of batch
{metrics["batch_size"]}) on two shared CPU cores. {history}After every epoch
{metrics["select_samples"]:,} samples of the average (latents of their own) were compared
with 10,000 real *training* images, and the average with the lowest FID ships: epoch
{metrics["chosen_epoch"]} (step {metrics["chosen_step"]:,}). The choice never saw the test
images. FID by epoch on those samples: {_curve(metrics["fid_by_epoch"])}. The same for the
trained generator itself, not averaged: {_curve(metrics["raw_fid_by_epoch"])}. The average's
FID against the test images (5,000 other latents; logged, not used to choose):
{_curve(metrics["test_fid_by_epoch"])}. `training.gif` shows 16 fixed latents over the
training.

## Data
{metrics["train_size"]:,} Fashion-MNIST training images (Debian `dataset-fashion-mnist`,
MIT), scaled to [-1, 1]; the {metrics["test_size"]:,} test images are held out as the
reference of the metrics. Upstream trained on all 70,000.

## Sample quality
A small CNN classifier trained on the training split (test accuracy
{metrics["classifier_test_accuracy"]:.4f}; shipped as `{CLASSIFIER_FILE}`, with the mean
and covariance of its features of the real test images in `{REFERENCE_FILE}`) gives 128-d
features and class probabilities. FID compares {n} generated images (latents of their own,
not the ones the epoch was chosen on) with the real test images; for the real test images
it is taken against {n} real training images, the floor a perfect generator would reach.

| | generated ({n}) | real test images ({n}) |
|---|---|---|
| FID (lower is better) | {metrics["fid"]:.2f} | {real["fid"]:.2f} |
| share classified with confidence >= 0.9 | {confident} | {real_confident} |
| classes covered (>= 1% of samples) | {coverage}/10 | {real_coverage}/10 |

Mean losses over the last epoch trained: generator {metrics["generator_loss"]},
discriminator {metrics["discriminator_loss"]}. Upstream: {metrics["upstream"]}. The
previous model here, upstream's recipe (2.3M-parameter generator, Adam 1e-4, 1.7 epochs),
measures FID {PREVIOUS["fid"]} and confident share {PREVIOUS["confident_share"]} with this
classifier ({n} samples; 52.0 and 0.063 with the classifier of its own run).

This FID uses a small Fashion-MNIST classifier, not Inception: compare it only with
figures measured the same way.

## Memorisation
For {copies["samples"]:,} samples, the nearest of the {metrics["train_size"]:,} training images
(L2 distance, pixels in [0, 1]): {copies["near_copies"]} are closer than
{copies["near_copy_threshold"]} (a near-copy: an RMS difference under 0.03 a pixel); the
closest sample is {copies["nearest_train_distance"]["min"]} away, the median one
{copies["nearest_train_distance"]["median"]}. For as many real test images: closest
{real_distances["min"]}, 1st percentile {real_distances["first_percentile"]}, median
{real_distances["median"]}; {copies["share_under_real_first_percentile"]}
of the samples lie under that 1st percentile. Pixel distance misses copies that are
shifted or mirrored.

## Use
`python -m training.{ID}` retrains (resumable); the hub tab turns a seed or a 10x10
drawing into the latent vector. These are experiments: expect odd clothes.
"""


if __name__ == "__main__":
    main()
