"""Clothes generation: a DCGAN that draws Fashion-MNIST clothes from 100-d noise.

Upstream's experiment 13, retrained with the DCGAN paper's recipe (training/dcgan/), slimmed
to train on two CPU cores, on Fashion-MNIST's training images (Debian's package). Upstream
reported losses only: here a small classifier shipped beside the generator measures the
samples (FID against the real test images, confident share, classes covered) and looks for
near-copies of training images. The served generator is a moving average of the trained
one's weights, chosen by FID on training images after every epoch; training resumes from
its checkpoints. Figures: weights/clothes_generation_dcgan/metrics.json and its card.

    python -m training.clothes_generation_dcgan [--epochs N] [--checkpoints DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

from core.dcgan import ID, LATENT_DIM, grid, to_pixels
from training.common import arguments, cache, fetch, publish
from training.dcgan import dcgan_metrics, dcgan_training

CONFIG = {
    "id": ID,
    "epochs": 55,  # the served run, from scratch; FID was still falling at 40
    "batch_size": 128,  # the DCGAN paper's
    "select_samples": 5_000,  # generated each epoch to choose the checkpoint by FID
    "select_seed": 1,  # their latents (the reported figures use other latents, seed 0)
    "eval_samples": 10_000,
    "memorisation_samples": 1_000,  # samples whose nearest training images are looked up
    "classifier_epochs": 3,
    # smoke runs: one step on this many images, with throwaway checkpoints
    "smoke_size": 64,
}
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_SHA256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
DATA_DIR = "usr/share/datasets/fashion-mnist"
CLASSIFIER_FILE = "fashion_classifier.keras"  # shipped: the tests re-measure with it
REFERENCE_FILE = "fid_reference.npz"  # mean and covariance of the real test features
CHECKPOINTS = cache.CACHE / "checkpoints" / ID
# Runs this code cannot re-run (upstream's recipe, the first run, a failed warm start):
# their figures, carried into metrics.json beside each new run's.
EARLIER = json.loads((Path(__file__).parent / "dcgan" / "earlier_runs.json").read_text())


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
    folder = fetch.debian_package(DEBIAN_PACKAGE, DEBIAN_SHA256) / DATA_DIR
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


# ---------------------------------------------------------------- measuring


def measuring_stick(data: tuple, count: int, epochs: int, path: Path | None) -> SimpleNamespace:
    """The metrics' classifier (trained once, cached at ``path``), its feature model and
    its features of ``count`` real test and training images."""
    (x_train, y_train), (x_test, y_test) = data
    real_train, real_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0
    classifier, accuracy = dcgan_metrics.train_classifier(
        real_train, y_train, real_test, y_test, epochs, path
    )
    features = dcgan_metrics.feature_model(classifier)
    test_features, test_probabilities = features.predict(
        real_test[:count], batch_size=1000, verbose=0
    )
    train_features, _ = features.predict(real_train[:count], batch_size=1000, verbose=0)
    return SimpleNamespace(
        classifier=classifier,
        accuracy=accuracy,
        features=features,
        test_features=test_features,
        test_probabilities=test_probabilities,
        train_features=train_features,
        reference=dcgan_metrics.feature_statistics(test_features),
        train_reference=dcgan_metrics.feature_statistics(train_features),
    )


def selection(stick: SimpleNamespace, count: int):
    """``evaluate(generator, ema)`` for every epoch: the choice compares samples of latents
    of its own (seed 1) with real *training* images, never the test images nor the
    reported latents; the test-image FID of other latents (seed 0) is logged beside it for
    the curve only."""
    select = np.random.default_rng(CONFIG["select_seed"]).standard_normal((count, LATENT_DIM))
    select = select.astype(np.float32)
    curve = np.random.default_rng(0).standard_normal((count, LATENT_DIM)).astype(np.float32)
    quality = dcgan_metrics.generated_quality

    def evaluate(generator, ema) -> dict:
        chosen_on = quality(ema, stick.features, select, stick.train_reference)
        return {
            "fid": chosen_on["fid"],
            "confident_share": chosen_on["confident_share"],
            "class_coverage": chosen_on["class_coverage"],
            "raw_fid": quality(generator, stick.features, select, stick.train_reference)["fid"],
            "test_fid": quality(ema, stick.features, curve, stick.reference)["fid"],
        }

    return evaluate


def by_epoch(history: list[dict], key: str) -> dict[str, float]:
    return {str(entry["epoch"]): entry[key] for entry in history if key in entry}


def score(generator, stick, noise: np.ndarray, data: tuple, run: dict) -> dict:
    """metrics.json: the chosen generator on other latents (``noise``, the figures
    reported), the real images' own figures, memorisation and the run's curves."""
    (x_train, _), (x_test, _) = data
    history = run["history"]
    chosen = min(history, key=lambda entry: entry["fid"])
    copies = CONFIG["memorisation_samples"]
    samples = to_pixels(generator.predict(noise[:copies], verbose=0))
    earlier = {
        key: EARLIER[key] for key in ("first_run_fid_by_epoch", "first_warm_start_fid_by_epoch")
    }
    return {
        "epochs": round(run["steps"] / run["steps_per_epoch"], 2),
        "steps": run["steps"],
        "chosen_epoch": chosen["epoch"],
        "chosen_step": chosen["step"],
        "batch_size": run["batch_size"],
        "train_size": len(x_train),
        "test_size": len(x_test),
        "params": generator.count_params(),
        "classifier_test_accuracy": round(stick.accuracy, 4),
        **run["losses"],
        **dcgan_metrics.generated_quality(generator, stick.features, noise, stick.reference),
        # real test images: their own confidence and coverage, FID against real train images
        "real_reference": dcgan_metrics.sample_quality(
            stick.test_features, stick.test_probabilities, stick.train_features
        ),
        "eval_samples": len(noise),
        "select_samples": run["select_samples"],
        "memorisation": dcgan_metrics.memorisation(samples, x_test[:copies], x_train),
        "ema_decay": dcgan_training.EMA_DECAY,
        "warm_start_epoch": dcgan_training.WARM_START_EPOCH if run["warm_start"] else None,
        # the choice: samples of latents of their own against real training images
        "fid_by_epoch": by_epoch(history, "fid"),
        # the curve on the test images (other latents, 5,000 of them), never used to choose
        "test_fid_by_epoch": by_epoch(history, "test_fid"),
        # the trained generator itself, not its moving average (selection figure)
        "raw_fid_by_epoch": by_epoch(history, "raw_fid"),
        **(earlier if run["warm_start"] else {}),
        "upstream": "losses only: D 1.24, G 0.90 at epoch 2700 (no sample-quality figure)",
        "previous_recipe": EARLIER["previous_recipe"],
        "source": run["source"],
    }


# ---------------------------------------------------------------- the weights folder


def curve(by_epoch: dict) -> str:
    return ", ".join(f"{epoch.split('.')[0]}: {fid:.2f}" for epoch, fid in by_epoch.items())


def card_values(metrics: dict) -> dict:
    """What training/cards/clothes_generation_dcgan.md needs beyond the metrics."""
    warm = metrics.get("warm_start_epoch")
    first_run = curve(metrics.get("first_run_fid_by_epoch", {}))
    values = {"warm": warm, "first_run": first_run, "warmup_steps": dcgan_training.D_WARMUP_STEPS}
    return {
        "history": publish.card_text("clothes_generation_dcgan_warm_start", metrics, **values)
        if warm
        else "",
        "n": f"{metrics['eval_samples']:,}",
        "fid_curve": curve(metrics["fid_by_epoch"]),
        "raw_fid_curve": curve(metrics["raw_fid_by_epoch"]),
        "test_fid_curve": curve(metrics["test_fid_by_epoch"]),
        "real_label": dcgan_training.REAL_LABEL,
        "classifier_file": CLASSIFIER_FILE,
        "reference_file": REFERENCE_FILE,
    }


def save(generator, stick, noise: np.ndarray, metrics: dict, checkpoints: Path, args) -> Path:
    """weights/<id>/: the chosen generator (the discriminator stays in the checkpoint), the
    classifier and the reference statistics the tests re-measure with, the GIF, a sample
    grid, and through ``publish.publish`` metrics.json, the card and the manifest."""
    import keras

    folder = publish.weights_folder(ID, args.out)
    keras.saving.save_model(generator, folder / "model.keras")
    stick.classifier.save(folder / CLASSIFIER_FILE, include_optimizer=False)
    mean, covariance = stick.reference
    np.savez_compressed(folder / REFERENCE_FILE, mean=mean, covariance=covariance)
    dcgan_training.training_gif(checkpoints / "previews", folder / "training.gif")
    samples = to_pixels(generator(noise[:64], training=False).numpy())
    Image.fromarray(grid(samples, 8)).save(folder / "samples.png")
    values = card_values(metrics)
    publish.publish(
        ID,
        folder,
        metrics,
        publish.card_data(
            ["gan", "dcgan", "image-generation", "fashion-mnist", "ml-experiments-hub"],
            datasets=["fashion_mnist"],
            pipeline_tag="unconditional-image-generation",
        ),
        ID,
        values,
        args.push,
    )
    return folder


# ---------------------------------------------------------------- the run


def parse(argv: list[str] | None):
    """The common command line plus --checkpoints and --warm-start."""
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--checkpoints", type=Path, default=CHECKPOINTS)
    extra.add_argument(
        "--warm-start",
        type=Path,
        default=None,
        help=f"a generator saved at epoch {dcgan_training.WARM_START_EPOCH}",
    )
    extra_args, argv = extra.parse_known_args(argv)
    args = arguments.parse_args(__doc__, CONFIG["epochs"], argv)
    args.checkpoints, args.warm_start = extra_args.checkpoints, extra_args.warm_start
    return args


def main(argv: list[str] | None = None) -> dict:
    import keras

    args = parse(argv)
    arguments.limit_threads()  # one inter-op thread: the CPUs are shared
    keras.utils.set_random_seed(0)

    # Data: [-1, 1] for the GAN (tanh output), [0, 1] for the classifier.
    data = load_data(args.source)
    run = {"batch_size": CONFIG["batch_size"], "select_samples": CONFIG["select_samples"]}
    eval_count, checkpoints = CONFIG["eval_samples"], args.checkpoints
    if args.smoke:  # one step on tiny data, with throwaway checkpoints
        size = CONFIG["smoke_size"]
        data = tuple((x[:size], y[:size]) for x, y in data)
        args.epochs, args.warm_start, eval_count = 1, None, size
        run.update(batch_size=size, select_samples=size)
        checkpoints = Path(tempfile.mkdtemp(prefix=f"{ID}-smoke-"))
    checkpoints.mkdir(parents=True, exist_ok=True)

    # The measuring stick first: the classifier, its features of the real images.
    epochs, path = CONFIG["classifier_epochs"], checkpoints / CLASSIFIER_FILE
    stick = measuring_stick(data, eval_count, *((1, None) if args.smoke else (epochs, path)))

    # Train the GAN (resuming where the last run stopped), measuring it after every epoch,
    # and keep the average generator with the lowest selection FID.
    evaluate = selection(stick, run["select_samples"])
    run["steps_per_epoch"] = len(data[0][0]) // run["batch_size"]
    keras.utils.set_random_seed(0)
    generator, run["history"], run["losses"], run["steps"] = dcgan_training.train_gan(
        to_gan(data[0][0]),
        args.epochs * run["steps_per_epoch"],
        run["steps_per_epoch"],
        checkpoints,
        evaluate,
        args.warm_start,
    )

    # Measure the chosen generator on other latents (the figures reported); publish.
    run.update(warm_start=args.warm_start is not None, source=args.source)
    noise = np.random.default_rng(0).standard_normal((eval_count, LATENT_DIM)).astype(np.float32)
    metrics = score(generator, stick, noise, data, run)
    save(generator, stick, noise, metrics, checkpoints, args)
    return metrics


if __name__ == "__main__":
    main()
