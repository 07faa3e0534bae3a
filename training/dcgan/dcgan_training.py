"""The DCGAN and its training loop: the two networks (``make_generator``,
``make_discriminator``), training with the DCGAN paper's recipe and a moving average of
the generator's weights, resumable from checkpoints and choosing the average by FID after
every epoch (``train_gan``), and the training-progress GIF."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

from core.dcgan import LATENT_DIM, grid, to_pixels

LEARNING_RATE = 2e-4  # the DCGAN paper's Adam, both networks
BETA_1 = 0.5  # (Keras' default 0.9 makes the adversarial game oscillate)
REAL_LABEL = 0.9  # one-sided label smoothing: the discriminator's target for real images
EMA_DECAY = 0.999  # the served generator: the moving average of the trained one's weights
WARM_START_EPOCH = 12  # the generator shipped before the moving average came (epoch 12)
D_WARMUP_STEPS = 468  # a new discriminator trains alone this long (an epoch) against it
# after a warm start the generator learns 4x slower than the new discriminator (two time
# scales): at 2e-4 for both, the generator outran the new discriminator (its loss at
# chance) and FID rose (attempt 1: first_warm_start_fid_by_epoch in metrics.json)
WARM_G_LEARNING_RATE = 5e-5
PREVIEW_EVERY = 200  # steps between preview frames of the training GIF
PREVIEW_SEED = 1234  # the fixed latents of the preview grid
PREVIEW_SIDE = 4  # a 4x4 grid
GIF_SCALE = 2  # preview tiles are 28 px; doubled for the GIF


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


def _networks(checkpoints: Path) -> SimpleNamespace:
    """The generator, its moving average, the discriminator, their optimisers and the
    run's counters, all in one checkpoint (kept in ``checkpoints/ckpt``, the last two)."""
    import keras
    import tensorflow as tf

    gan = SimpleNamespace(generator=make_generator(), discriminator=make_discriminator())
    gan.ema = make_generator()
    gan.g_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1)
    gan.d_optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1)
    gan.g_optimizer.build(gan.generator.trainable_variables)
    gan.d_optimizer.build(gan.discriminator.trainable_variables)
    gan.step = tf.Variable(0, dtype=tf.int64)
    gan.d_warmup = tf.Variable(D_WARMUP_STEPS, dtype=tf.int64)  # discriminator-only steps left
    gan.g_learning_rate = tf.Variable(LEARNING_RATE)  # lowered after a warm start
    gan.last_losses = tf.Variable([np.nan, np.nan])  # generator, discriminator: metrics.json
    checkpoint = tf.train.Checkpoint(**vars(gan))
    gan.manager = tf.train.CheckpointManager(checkpoint, checkpoints / "ckpt", max_to_keep=2)
    return gan


def _restore(gan, history_file: Path, steps_per_epoch: int, warm_start: Path | None) -> list:
    """Resume from the last checkpoint (and its measurements), or start from a warm-start
    generator with a new discriminator, or from scratch. Returns the history so far."""
    import keras

    history = []
    latest = gan.manager.latest_checkpoint
    if latest:
        gan.manager.checkpoint.restore(latest).expect_partial()
        print(f"resumed from {latest} (step {int(gan.step.numpy())})")
        if history_file.is_file():  # measurements past the checkpoint are redone
            done = int(gan.step.numpy())
            history = [e for e in json.loads(history_file.read_text()) if e["step"] <= done]
    elif warm_start is not None:
        saved = keras.saving.load_model(warm_start, compile=False)
        gan.generator.set_weights(saved.get_weights())
        gan.step.assign(WARM_START_EPOCH * steps_per_epoch)
        gan.g_learning_rate.assign(WARM_G_LEARNING_RATE)
        print(
            f"warm start from {warm_start} (epoch {WARM_START_EPOCH}, step {int(gan.step.numpy())})"
        )
    else:
        gan.d_warmup.assign(0)  # both networks start from scratch together
    if not latest:
        for average, weight in zip(gan.ema.weights, gan.generator.weights, strict=True):
            average.assign(weight)
    gan.g_optimizer.learning_rate = float(gan.g_learning_rate.numpy())
    return history


def _step_functions(gan):
    """The compiled training steps: both networks (and the moving average), and the
    discriminator alone against the generator as it is."""
    import keras
    import tensorflow as tf

    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    generator, discriminator = gan.generator, gan.discriminator

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
        gan.g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
        gan.d_optimizer.apply_gradients(
            zip(d_grads, discriminator.trainable_variables, strict=True)
        )
        # the moving average of every generator weight (batch-norm statistics included)
        for average, weight in zip(gan.ema.weights, generator.weights, strict=True):
            average.assign(EMA_DECAY * average + (1 - EMA_DECAY) * weight)
        return g_loss, d_loss

    @tf.function(jit_compile=True)
    def discriminator_step(real):
        """A new discriminator catches up with a warm-started generator, which stays put."""
        fake = generator(tf.random.normal([tf.shape(real)[0], LATENT_DIM]), training=False)
        with tf.GradientTape() as tape:
            d_loss, _ = discriminator_loss(real, fake)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        gan.d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables, strict=True))
        return d_loss

    return train_step, discriminator_step


def _warm_up_discriminator(gan, discriminator_step, dataset) -> None:
    """The discriminator-only steps a warm start leaves, then a checkpoint."""
    steps = int(gan.d_warmup.numpy())
    if steps <= 0:
        return
    start, d_sum = time.time(), 0.0
    for _ in range(steps):
        d_sum += float(discriminator_step(next(dataset)))
    print(
        f"discriminator warm-up: {steps} steps, mean loss {d_sum / steps:.4f}, "
        f"{time.time() - start:.0f} s",
        flush=True,
    )
    gan.d_warmup.assign(0)
    gan.manager.save()


def _end_of_epoch(gan, entry: dict, history: list, checkpoints: Path) -> None:
    """Keep the epoch's average (and as the best, when its selection FID is the lowest
    so far), the measurements and a checkpoint."""
    best_file = checkpoints / "best_generator.keras"
    gan.ema.save(checkpoints / f"ema_step_{entry['step']:06d}.keras")
    if not history or entry["fid"] < min(e["fid"] for e in history) or not best_file.exists():
        gan.ema.save(best_file)
        entry["best"] = True
    history.append(entry)
    (checkpoints / "history.json").write_text(json.dumps(history, indent=1))
    gan.manager.save()
    print(f"{entry}", flush=True)


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

    gan = _networks(checkpoints)
    history = _restore(gan, checkpoints / "history.json", steps_per_epoch, warm_start)
    train_step, discriminator_step = _step_functions(gan)
    dataset = iter(
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(len(images))
        .repeat()
        .batch(len(images) // steps_per_epoch, drop_remainder=True)
        .prefetch(2)
    )
    _warm_up_discriminator(gan, discriminator_step, dataset)
    preview = np.random.default_rng(PREVIEW_SEED).standard_normal((PREVIEW_SIDE**2, LATENT_DIM))
    previews = checkpoints / "previews"
    previews.mkdir(parents=True, exist_ok=True)
    g_sum, d_sum, count, start = 0.0, 0.0, 0, time.time()
    done = int(gan.step.numpy())
    while done < steps:
        g_loss, d_loss = train_step(next(dataset))
        g_sum, d_sum, count = g_sum + float(g_loss), d_sum + float(d_loss), count + 1
        gan.step.assign_add(1)
        done += 1
        if done % PREVIEW_EVERY == 0 or done == steps:
            tiles = to_pixels(gan.ema(preview.astype(np.float32), training=False).numpy())
            Image.fromarray(grid(tiles, PREVIEW_SIDE)).save(previews / f"step_{done:06d}.png")
        if done % 50 == 0:
            print(f"step {done}: {(time.time() - start) / count:.3f} s/step", flush=True)
        if done % steps_per_epoch and done < steps:
            continue
        # every epoch: the mean losses, the measurements, the best average, a checkpoint
        seconds = (time.time() - start) / count
        gan.last_losses.assign([g_sum / count, d_sum / count])
        entry = {
            "epoch": round(done / steps_per_epoch, 2),
            "step": done,
            **evaluate(gan.generator, gan.ema),
            "generator_loss": round(g_sum / count, 4),
            "discriminator_loss": round(d_sum / count, 4),
            "seconds_per_step": round(seconds, 3),
        }
        _end_of_epoch(gan, entry, history, checkpoints)
        g_sum, d_sum, count, start = 0.0, 0.0, 0, time.time()
    last = (None if np.isnan(v) else round(float(v), 4) for v in gan.last_losses.numpy())
    losses = dict(zip(("generator_loss", "discriminator_loss"), last, strict=True))
    best_file = checkpoints / "best_generator.keras"
    best = keras.saving.load_model(best_file, compile=False) if best_file.exists() else gan.ema
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
