"""Clothes generation: a DCGAN that draws Fashion-MNIST clothes from 100-d noise.

Upstream's experiment 13, retrained with the DCGAN paper's recipe (`training/dcgan_training.py`).
Generator: a projection of the noise to 7x7x128 and two stride-2 transposed convolutions,
batch norm and ReLU after every layer but the tanh output, slimmer than upstream's so that
it trains on two shared CPU cores. Discriminator: two strided convolutions with LeakyReLU
0.2, batch norm on the second, no dropout. Adam 2e-4 with beta1 0.5 for both, binary
cross-entropy on logits, real images labelled 0.9 (one-sided label smoothing), batch 128.
Trained on the 60,000 Fashion-MNIST training images from Debian's `dataset-fashion-mnist`
(the 10,000 test images stay out, as the reference for the metrics); `--source upstream`
loads the same data through `keras.datasets.fashion_mnist`.

Upstream reported losses only. Here sample quality is measured with a small Fashion-MNIST
classifier trained on the train split and shipped beside the generator
(`training/dcgan_metrics.py`): the Frechet distance between its penultimate features of
10,000 generated and 10,000 real test images (FID), the share of samples it classifies
with confidence >= 0.9 and how many of the 10 classes the samples cover. The same figures
for the real test images are the reference (their FID is taken against 10,000 real
training images: the floor a perfect generator would reach). A memorisation check looks
up the nearest training image of 1,000 samples (L2 in pixel space) and counts near-copies.

The served generator is an exponential moving average of the trained generator's weights
(decay 0.999, batch-norm statistics included). After every epoch 5,000 samples of the
average, of latents of their own, are compared with 10,000 real *training* images, and the
average with the lowest FID is kept: the choice never sees the test images nor the latents
of the reported figures. A run may go on from an earlier run's generator (`--warm-start`,
the step counter starting at the epoch it was saved at) with a new discriminator trained
alone for an epoch first. Its figures: weights/clothes_generation_dcgan/metrics.json (and
the card's FID-by-epoch curves).

Training resumes from the last checkpoint (outside git; `--checkpoints` chooses the
folder); every epoch it saves a checkpoint (both networks, the average, both optimisers,
the step) and the epoch's average, and every 200 steps a preview grid of the same 16
latent vectors, which become the training-progress GIF. A run asked for fewer epochs than
the checkpoint holds only re-measures and re-saves.

    python -m training.clothes_generation_dcgan [--epochs N] [--checkpoints DIR]
        [--warm-start GENERATOR.keras]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from huggingface_hub import ModelCardData
from PIL import Image

from core.dcgan import ID, LATENT_DIM, grid, to_pixels
from training import common, dcgan_metrics, dcgan_training

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
CHECKPOINTS = common.CACHE / "checkpoints" / ID
# Earlier runs, reported beside this one's figures in metrics.json (they cannot be re-run
# from this code): upstream's recipe (the model shipped before this one), measured with
# this classifier; the first run (epochs 1-12, no moving average): FID of its generator on
# 5,000 samples against the real test images after every epoch, its epoch-12 generator the
# warm start of the run that followed; attempt 1 of that warm start (discriminator-only
# steps, then 2e-4 for both): FID of the average on the choice's samples until stopped.
PREVIOUS = {"fid": 54.46, "confident_share": 0.0414, "class_coverage": 10}
FIRST_RUN = {"1": 52.42, "2": 26.11, "3": 17.03, "4": 13.36, "5": 11.64, "6": 9.05,
             "7": 8.47, "8": 7.60, "9": 7.34, "10": 6.09, "11": 5.30, "12": 5.15}  # fmt: skip
FIRST_WARM_START = {"13": 5.44, "14": 6.33, "15": 7.23, "16": 7.60}


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
    folder = common.debian_package(DEBIAN_PACKAGE, DEBIAN_SHA256) / DATA_DIR
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
        "first_run_fid_by_epoch": FIRST_RUN,
        "first_warm_start_fid_by_epoch": FIRST_WARM_START,
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
        "previous_recipe": PREVIOUS,
        "source": run["source"],
    }


# ---------------------------------------------------------------- the weights folder


def card_data() -> ModelCardData:
    return ModelCardData(
        license="mit",
        library_name="keras",
        tags=["gan", "dcgan", "image-generation", "fashion-mnist", "ml-experiments-hub"],
        datasets=["fashion_mnist"],
        pipeline_tag="unconditional-image-generation",
    )


def curve(by_epoch: dict) -> str:
    return ", ".join(f"{epoch.split('.')[0]}: {fid:.2f}" for epoch, fid in by_epoch.items())


def card_values(metrics: dict) -> dict:
    """What training/cards/clothes_generation_dcgan.md needs beyond the metrics."""
    warm = metrics.get("warm_start_epoch")
    first_run = curve(metrics.get("first_run_fid_by_epoch", {}))
    values = {"warm": warm, "first_run": first_run, "warmup_steps": dcgan_training.D_WARMUP_STEPS}
    return {
        "history": common.card_text("clothes_generation_dcgan_warm_start", metrics, **values)
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
    grid, and through ``common.publish`` metrics.json, the card and the manifest."""
    import keras

    folder = common.weights_folder(ID, args.out)
    keras.saving.save_model(generator, folder / "model.keras")
    stick.classifier.save(folder / CLASSIFIER_FILE, include_optimizer=False)
    mean, covariance = stick.reference
    np.savez_compressed(folder / REFERENCE_FILE, mean=mean, covariance=covariance)
    dcgan_training.training_gif(checkpoints / "previews", folder / "training.gif")
    samples = to_pixels(generator(noise[:64], training=False).numpy())
    Image.fromarray(grid(samples, 8)).save(folder / "samples.png")
    values = card_values(metrics)
    common.publish(ID, folder, metrics, card_data(), ID, values, args.push)
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
    args = common.parse_args(__doc__, CONFIG["epochs"], argv)
    args.checkpoints, args.warm_start = extra_args.checkpoints, extra_args.warm_start
    return args


def main(argv: list[str] | None = None) -> dict:
    import keras

    args = parse(argv)
    common.limit_threads()  # one inter-op thread: the CPUs are shared
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
