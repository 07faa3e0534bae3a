"""Clothes generation: a DCGAN that draws Fashion-MNIST clothes from 100-d noise.

Upstream's experiment 13, with upstream's generator (Dense 7*7*256 -> three transposed
convolutions, 2.3M parameters) and discriminator (two strided convolutions -> a logit),
Adam 1e-4 for both and binary cross-entropy on logits. Trained here on the 60,000
Fashion-MNIST training images from Debian's `dataset-fashion-mnist` (the 10,000 test
images stay out, as the reference for the metrics); `--source upstream` loads the same
data through `keras.datasets.fashion_mnist`.

Upstream reported losses only. Here sample quality is measured with a small Fashion-MNIST
classifier trained on the train split (see metrics.json for its test accuracy): the
Frechet distance between its penultimate features of 10,000 generated and 10,000 real test
images (FID), the share of samples it classifies with confidence >= 0.9 and how many of
the 10 classes the samples cover. The same figures for the real test images are the
reference (their FID is taken against 10,000 real training images: the floor a perfect
generator would reach). Shipped: 1,600 steps of batch 64 (1.7 epochs, about 40 minutes
on 2 shared CPU cores) reach FID 52.0 (real test images: 0.08), see metrics.json.
Resumed to 3,000 steps it measured FID 55.6 (more confident samples, 0.13 against 0.06,
but 9 classes covered), so the 1,600-step generator stays shipped.

Training resumes from the last checkpoint (outside git); every 200 steps it saves a
checkpoint and a preview grid of the same 16 latent vectors, which become the
training-progress GIF. A run asked for fewer epochs than the checkpoint holds only
re-measures and re-saves.

    python -m training.clothes_generation_dcgan --epochs 5
"""

from __future__ import annotations

import gzip
import tempfile
import time
from pathlib import Path

import numpy as np
from huggingface_hub import ModelCardData
from PIL import Image

from core.clothes_generation_dcgan import ID, LATENT_DIM, grid, to_pixels
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

BATCH_SIZE = 64  # smaller than upstream's 256: 4x the updates for the same CPU time
LEARNING_RATE = 1e-4  # upstream's, both networks
EPOCHS = 5  # about 40 minutes on 2 shared CPU cores; upstream ran thousands on a GPU
PREVIEW_EVERY = 200  # steps between preview frames (and checkpoints)
PREVIEW_SEED = 1234  # the fixed latents of the preview grid
PREVIEW_SIDE = 4  # a 4x4 grid
GIF_SCALE = 2  # preview tiles are 28 px; doubled for the GIF
EVAL_SAMPLES = 10_000
CONFIDENT = 0.9
CLASSIFIER_EPOCHS = 3
CHECKPOINTS = CACHE / "checkpoints" / ID


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
    """Upstream's generator: 100-d noise -> (28, 28, 1) image in [-1, 1]."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((LATENT_DIM,)),
            layers.Dense(7 * 7 * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.3),
            layers.Reshape((7, 7, 256)),
            layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.3),
            layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.3),
            layers.Conv2DTranspose(
                1, 5, strides=2, padding="same", use_bias=False, activation="tanh"
            ),
        ],
        name="generator",
    )


def make_discriminator():
    """Upstream's discriminator: (28, 28, 1) image -> one real/fake logit."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 5, strides=2, padding="same"),
            layers.LeakyReLU(0.3),
            layers.Dropout(0.3),
            layers.Conv2D(128, 5, strides=2, padding="same"),
            layers.LeakyReLU(0.3),
            layers.Dropout(0.3),
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


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two (N, D) feature sets (FID's formula).

    |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2)); the trace of the matrix square
    root is taken from the eigenvalues of C_a^(1/2) C_b C_a^(1/2), which is symmetric, so
    no complex square roots creep in.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(middle, 0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(distance, 0.0))


def sample_quality(features, probabilities, reference_features) -> dict:
    """FID against the reference features, confident share and class coverage of a sample."""
    predicted = probabilities.argmax(axis=1)
    shares = np.bincount(predicted, minlength=len(CLASSES)) / len(predicted)
    return {
        "fid": round(frechet_distance(features, reference_features), 4),
        "confident_share": round(float((probabilities.max(axis=1) >= CONFIDENT).mean()), 4),
        # a class counts as covered when at least 1% of the samples fall in it
        "class_coverage": int((shares >= 0.01).sum()),
        "class_shares": {name: round(float(s), 4) for name, s in zip(CLASSES, shares, strict=True)},
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


def train_gan(images: np.ndarray, steps: int, checkpoints: Path, batch_size: int):
    """Train (or resume) the DCGAN for ``steps`` batches in all.

    Returns the generator, the mean losses of the last preview interval and the steps done
    (more than ``steps`` when an earlier run went further: it is never rolled back).
    """
    import tensorflow as tf

    generator, discriminator = make_generator(), make_discriminator()
    g_optimizer = tf.keras.optimizers.Adam(LEARNING_RATE)
    d_optimizer = tf.keras.optimizers.Adam(LEARNING_RATE)
    g_optimizer.build(generator.trainable_variables)
    d_optimizer.build(discriminator.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    last_losses = tf.Variable([np.nan, np.nan])  # generator, discriminator: for metrics.json
    checkpoint = tf.train.Checkpoint(
        generator=generator,
        discriminator=discriminator,
        g_optimizer=g_optimizer,
        d_optimizer=d_optimizer,
        step=step,
        last_losses=last_losses,
    )
    manager = tf.train.CheckpointManager(checkpoint, checkpoints / "ckpt", max_to_keep=2)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
        print(f"resumed from {manager.latest_checkpoint} (step {int(step.numpy())})")

    bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(real):
        noise = tf.random.normal([tf.shape(real)[0], LATENT_DIM])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            # the generator wants its fakes called real; the discriminator wants the truth
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(
                tf.zeros_like(fake_logits), fake_logits
            )
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
        d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
        return g_loss, d_loss

    dataset = iter(
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(len(images))
        .repeat()
        .batch(batch_size)
        .prefetch(2)
    )
    preview = np.random.default_rng(PREVIEW_SEED).standard_normal((PREVIEW_SIDE**2, LATENT_DIM))
    previews = checkpoints / "previews"
    previews.mkdir(parents=True, exist_ok=True)
    g_sum, d_sum, count, start = 0.0, 0.0, 0, time.time()
    while int(step.numpy()) < steps:
        g_loss, d_loss = train_step(next(dataset))
        g_sum, d_sum, count = g_sum + float(g_loss), d_sum + float(d_loss), count + 1
        step.assign_add(1)
        done = int(step.numpy())
        if done % PREVIEW_EVERY and done < steps:
            continue
        # every PREVIEW_EVERY steps: a preview frame, a checkpoint and the mean losses
        losses = {"generator_loss": g_sum / count, "discriminator_loss": d_sum / count}
        last_losses.assign([g_sum / count, d_sum / count])
        tiles = to_pixels(generator(preview.astype(np.float32), training=False).numpy())
        Image.fromarray(grid(tiles, PREVIEW_SIDE)).save(previews / f"step_{done:06d}.png")
        manager.save()
        print(
            f"step {done}/{steps}: G {losses['generator_loss']:.3f} "
            f"D {losses['discriminator_loss']:.3f} ({(time.time() - start) / count:.2f} s/step)",
            flush=True,
        )
        g_sum, d_sum, count, start = 0.0, 0.0, 0, time.time()
    g_loss, d_loss = (None if np.isnan(v) else round(float(v), 4) for v in last_losses.numpy())
    return generator, {"generator_loss": g_loss, "discriminator_loss": d_loss}, int(step.numpy())


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
    args = parse_args(__doc__, EPOCHS, argv)
    import keras

    keras.utils.set_random_seed(0)

    # Prepare the data: [-1, 1] for the GAN (tanh output), [0, 1] for the classifier.
    (x_train, y_train), (x_test, y_test) = load_data(args.source)
    checkpoints, batch_size = CHECKPOINTS, BATCH_SIZE
    if args.smoke:  # one step on tiny data, with throwaway checkpoints
        x_train, y_train, x_test, y_test = x_train[:64], y_train[:64], x_test[:64], y_test[:64]
        args.epochs, batch_size = 1, 64
        checkpoints = Path(tempfile.mkdtemp(prefix=f"{ID}-smoke-"))
    folder = weights_folder(ID, args.out)
    gan_images = to_gan(x_train)
    real_train, real_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0

    # Train the GAN (resuming where the last run stopped).
    steps_per_epoch = len(gan_images) // batch_size
    generator, losses, steps = train_gan(
        gan_images, args.epochs * steps_per_epoch, checkpoints, batch_size
    )

    # Measure: the classifier's features of generated vs real test images.
    classifier, accuracy = train_classifier(
        real_train,
        y_train,
        real_test,
        y_test,
        1 if args.smoke else CLASSIFIER_EPOCHS,
        None if args.smoke else checkpoints / "fashion_classifier.keras",
    )
    features = keras.Model(
        classifier.inputs, [classifier.get_layer("features").output, classifier.outputs[0]]
    )
    count = len(x_test) if args.smoke else EVAL_SAMPLES
    noise = np.random.default_rng(0).standard_normal((count, LATENT_DIM)).astype(np.float32)
    generated = to_pixels(generator.predict(noise, batch_size=500, verbose=0))[..., None] / 255.0
    test_features, test_probabilities = features.predict(
        real_test[:count], batch_size=1000, verbose=0
    )
    train_features, _ = features.predict(real_train[:count], batch_size=1000, verbose=0)
    fake_features, fake_probabilities = features.predict(generated, batch_size=1000, verbose=0)
    metrics = {
        "epochs": round(steps / steps_per_epoch, 2),
        "steps": steps,
        "batch_size": batch_size,
        "train_size": len(x_train),
        "test_size": len(x_test),
        "params": generator.count_params(),
        "classifier_test_accuracy": round(accuracy, 4),
        **losses,
        **sample_quality(fake_features, fake_probabilities, test_features),
        # real test images: their own confidence and coverage, FID against real train images
        "real_reference": sample_quality(test_features, test_probabilities, train_features),
        "eval_samples": count,
        "upstream": "losses only: D 1.24, G 0.90 at epoch 2700 (no sample-quality figure)",
        "source": args.source,
    }

    # Save: the generator only (the discriminator stays in the checkpoint), the GIF, the card.
    keras.saving.save_model(generator, folder / "model.keras")
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


def _card_body(metrics: dict) -> str:
    real = metrics["real_reference"]
    n = f"{metrics['eval_samples']:,}"
    confident, real_confident = metrics["confident_share"], real["confident_share"]
    coverage, real_coverage = metrics["class_coverage"], real["class_coverage"]
    return f"""
# {ID}: clothes from noise with a DCGAN

Upstream's DCGAN (trekhleb/machine-learning-experiments, experiment 13): a
{metrics["params"]:,}-parameter generator from 100-d Gaussian noise to a 28x28 image,
trained against a two-convolution discriminator with Adam 1e-4 and binary cross-entropy on
logits. Only the generator ships here (`model.keras`, input (N, 100), output (N, 28, 28, 1)
in [-1, 1]); `training.gif` shows 16 fixed latents over {metrics["steps"]:,} steps
({metrics["epochs"]} epochs of batch {metrics["batch_size"]}).

## Data
{metrics["train_size"]:,} Fashion-MNIST training images (Debian `dataset-fashion-mnist`,
MIT), scaled to [-1, 1]; the {metrics["test_size"]:,} test images are held out as the
reference of the metrics. Upstream trained on all 70,000.

## Sample quality
A small CNN classifier trained on the training split (test accuracy
{metrics["classifier_test_accuracy"]:.4f}) gives 128-d features and class probabilities.
FID compares generated images with the real test images; for the real test images it is
taken against {n} real training images, the floor a perfect generator would reach.

| | generated ({n}) | real test images ({n}) |
|---|---|---|
| FID (lower is better) | {metrics["fid"]:.2f} | {real["fid"]:.2f} |
| share classified with confidence >= 0.9 | {confident} | {real_confident} |
| classes covered (>= 1% of samples) | {coverage}/10 | {real_coverage}/10 |

Mean losses over the last {PREVIEW_EVERY} training steps: generator
{metrics["generator_loss"]}, discriminator {metrics["discriminator_loss"]}.
Upstream: {metrics["upstream"]}.

This FID uses a small Fashion-MNIST classifier, not Inception: compare it only with
figures measured the same way.

## Use
`python -m training.{ID}` retrains (resumable); the hub tab turns a seed or a 10x10
drawing into the latent vector. These are experiments: expect odd clothes.
"""


if __name__ == "__main__":
    main()
