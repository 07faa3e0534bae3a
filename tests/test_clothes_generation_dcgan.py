"""Clothes DCGAN: drawing -> latent, seeded generation, the sample-quality metrics, the tab."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from PIL import Image

from core import dcgan
from core.errors import BadInput
from core.models import load_keras, weights_file
from training import clothes_generation_dcgan
from training.dcgan import dcgan_metrics, dcgan_training
from ui import arrival
from ui.clothes_generation_dcgan_tab import DEFAULTS
from ui.shared import EXAMPLES as UI_EXAMPLES

EXAMPLES = sorted((UI_EXAMPLES / dcgan.ID).glob("*.png"))


@pytest.fixture(scope="module")
def generate():
    """The two request functions around the shipped generator."""
    return dcgan.generators(load_keras(dcgan.ID))


def half_inked_canvas() -> np.ndarray:
    """A 400x400 white RGB canvas whose left 200 columns are black ink."""
    canvas = np.full((400, 400, 3), 255, np.uint8)
    canvas[:, :200] = 0
    return canvas


def test_drawing_becomes_the_latent_ink_plus_one_paper_minus_one_row_by_row():
    latent = dcgan.latent_from_drawing({"composite": half_inked_canvas(), "layers": []})
    assert latent.shape == (1, 100) and latent.dtype == np.float32
    rows = latent.reshape(10, 10)
    assert np.allclose(rows[:, :5], 1.0) and np.allclose(rows[:, 5:], -1.0)


def test_drawing_is_averaged_over_each_tenth_of_the_canvas():
    canvas = np.full((400, 400), 255, np.uint8)
    canvas[:40, :20] = 0  # half of the top-left 40x40 cell
    rows = dcgan.latent_from_drawing(Image.fromarray(canvas)).reshape(10, 10)
    assert rows[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert np.allclose(rows.ravel()[1:], -1.0)


@pytest.mark.parametrize(
    "value",
    [None, {"composite": None, "layers": []}, np.full((300, 300, 3), 255, np.uint8)],
    ids=["nothing", "untouched sketchpad", "white canvas"],
)
def test_empty_canvas_has_no_latent_and_gets_a_clear_error(value, generate):
    assert dcgan.latent_from_drawing(value) is None
    with pytest.raises(BadInput, match="canvas is empty"):
        generate[1](value)


def test_same_seed_gives_the_same_grid_and_another_seed_another(generate):
    from_noise = generate[0]
    first, again, other = from_noise(7, 9), from_noise(7, 9), from_noise(8, 9)
    assert first.shape == (3 * 28 * dcgan.ZOOM, 3 * 28 * dcgan.ZOOM) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.array_equal(dcgan.noise(7, 9), dcgan.noise(7, 9))


def test_the_grid_the_tab_opens_with_is_the_served_generators(generate):
    # Kept in ui/gallery by tools/make_gallery.py: the tab opens before its model loads.
    from_noise, _ = generate
    kept = np.asarray(Image.open(arrival(dcgan.ID, ".png")))
    made = from_noise(*DEFAULTS)
    assert kept.shape == made.shape and np.abs(kept.astype(int) - made).max() <= 1


def test_drawing_generates_one_image_and_shows_the_latent(generate):
    image, latent = generate[1](Image.open(EXAMPLES[0]))
    assert image.shape == (28 * 8, 28 * 8) and latent.shape == (160, 160)
    assert image.std() > 0  # a picture, not a flat square


@pytest.mark.parametrize(
    ("seed", "count"), [(-1, 4), (1.5, 4), ("abc", 4), (None, 4), (2**32, 4), (1, 0), (1, 65)]
)
def test_bad_seed_or_sample_count_is_refused(seed, count, generate):
    with pytest.raises(BadInput, match="whole number"):
        generate[0](seed, count)


def test_frechet_distance_on_known_sets():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 8))
    assert dcgan_metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # a pure shift of the mean by (1, ..., 1) adds exactly |shift|^2 = 8
    assert dcgan_metrics.frechet_distance(a, a + 1.0) == pytest.approx(8.0, abs=1e-6)
    # doubling: the means differ by mean(a), the covariances add tr(C + 4C - 2 * 2C) = tr(C)
    expected = np.sum(a.mean(axis=0) ** 2) + np.trace(np.cov(a.T))
    assert dcgan_metrics.frechet_distance(a, 2 * a) == pytest.approx(expected, rel=1e-9)
    b = rng.standard_normal((4000, 8))  # the same distribution: small but not zero
    assert 0 < dcgan_metrics.frechet_distance(a, b) < 0.05
    # either side may be its (mean, covariance) instead
    statistics = dcgan_metrics.feature_statistics(b)
    assert dcgan_metrics.frechet_distance(a, statistics) == pytest.approx(
        dcgan_metrics.frechet_distance(a, b), rel=1e-12
    )


def test_sample_quality_counts_confident_samples_and_covered_classes():
    probabilities = np.full((100, 10), 0.01)
    probabilities[:, 0] = 0.91  # 91 confident samples of class 0
    probabilities[91:, 0], probabilities[91:, 3] = 0.05, 0.87  # 8 unsure samples of class 3
    probabilities[99] = 0.1
    probabilities[99, 5] = 0.1 + 1e-3  # one sample of class 5: exactly 1%, still covered
    features = np.random.default_rng(1).standard_normal((100, 4))
    quality = dcgan_metrics.sample_quality(features, probabilities, features)
    assert quality["fid"] == 0.0
    assert quality["confident_share"] == 0.91
    assert quality["class_coverage"] == 3
    assert quality["class_shares"]["T-shirt/top"] == 0.91
    assert quality["class_shares"]["Dress"] == 0.08


def test_idx_reader_reads_the_fashion_mnist_format(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + images.tobytes()))
    assert np.array_equal(clothes_generation_dcgan._idx(path), images)


# Floors for the served generator, fixed numbers a little under what it reached. The
# issue's targets: FID <= 3.0 (met) and confident share >= 0.50 on 10,000 samples (not
# met). The tests re-measure CHECK_SAMPLES fresh samples, whose FID runs a little higher
# than 10,000 samples' would (the estimate's bias shrinks with the count).
FID_CEILING = 3.0  # the target, on metrics.json's 10,000 samples
CONFIDENT_FLOOR = 0.46
CHECK_SAMPLES = 2_000
CHECK_FID_CEILING = 3.2  # 2,000 fresh samples (seed 7)
CHECK_CONFIDENT_FLOOR = 0.46
MAX_CLASS_SHARE = 0.25  # no garment takes a quarter of the samples
NEAR_COPY = 0.8  # L2 to the nearest training image, pixels in [0, 1] (real test: >= 0.83)


def test_shipped_metrics_compare_generated_with_real_images():
    metrics = json.loads(weights_file(dcgan.ID, "metrics.json").read_text())
    real = metrics["real_reference"]
    assert metrics["eval_samples"] == 10_000 and metrics["source"] == "registry"
    assert metrics["classifier_test_accuracy"] > 0.85
    assert 0 <= real["fid"] < metrics["fid"] <= FID_CEILING
    assert metrics["confident_share"] >= CONFIDENT_FLOOR
    assert real["class_coverage"] == 10 and metrics["class_coverage"] == 10
    assert metrics["memorisation"]["samples"] == 1_000
    assert metrics["memorisation"]["near_copies"] == 0
    # at least 25 epochs, one measurement per epoch of the average, and the shipped
    # average is the epoch with the lowest FID on the choice's own samples
    assert metrics["epochs"] >= 25 and metrics["ema_decay"] > 0.9
    by_epoch = metrics["fid_by_epoch"]
    assert len(by_epoch) == round(metrics["epochs"]) - (metrics["warm_start_epoch"] or 0)
    assert min(by_epoch, key=by_epoch.get) == str(metrics["chosen_epoch"])
    assert set(metrics["test_fid_by_epoch"]) == set(by_epoch)
    gif = Image.open(weights_file(dcgan.ID, "training.gif"))
    assert gif.n_frames > 1


@pytest.fixture(scope="module")
def measure():
    """generator, latents -> sample_quality against the shipped statistics of the 10,000
    real test images' features, with the shipped classifier."""
    features = dcgan_metrics.feature_model(
        load_keras(dcgan.ID, clothes_generation_dcgan.CLASSIFIER_FILE)
    )
    with np.load(weights_file(dcgan.ID, clothes_generation_dcgan.REFERENCE_FILE)) as reference:
        statistics = (reference["mean"], reference["covariance"])
    return lambda generator, latents: dcgan_metrics.generated_quality(
        generator, features, latents, statistics
    )


def check_latents(count: int = CHECK_SAMPLES) -> np.ndarray:
    return np.random.default_rng(7).standard_normal((count, dcgan.LATENT_DIM)).astype(np.float32)


def floors_missed(quality: dict) -> list[str]:
    """The sample-quality floors a generator's fresh samples miss (none: it passes)."""
    missed = []
    if not quality["fid"] <= CHECK_FID_CEILING:
        missed.append(f"FID {quality['fid']}")
    if not quality["confident_share"] >= CHECK_CONFIDENT_FLOOR:
        missed.append(f"confident share {quality['confident_share']}")
    if quality["class_coverage"] != 10:
        missed.append(f"{quality['class_coverage']}/10 classes")
    if not max(quality["class_shares"].values()) < MAX_CLASS_SHARE:
        missed.append(f"largest class share {max(quality['class_shares'].values())}")
    return missed


def test_served_generator_meets_the_floors_on_fresh_samples(measure):
    assert floors_missed(measure(load_keras(dcgan.ID), check_latents())) == []


def test_a_randomly_initialised_generator_misses_the_floors(measure):
    import keras

    keras.utils.set_random_seed(3)
    missed = floors_missed(measure(dcgan_training.make_generator(), check_latents()))
    assert any(m.startswith("FID") for m in missed)


def test_a_generator_collapsed_onto_one_garment_misses_the_floors(measure):
    """The served generator, fed one latent over and over: one garment, however good."""
    latents = np.repeat(check_latents(1), CHECK_SAMPLES, axis=0)
    missed = floors_missed(measure(load_keras(dcgan.ID), latents))
    assert "1/10 classes" in missed and any(m.startswith("FID") for m in missed)


@pytest.fixture(scope="module")
def fashion():
    """Fashion-MNIST as uint8 pictures: (x_train, y_train), (x_test, y_test)."""
    return clothes_generation_dcgan.load_data()


def test_near_copy_check_flags_copies_and_passes_new_real_images(fashion):
    (x_train, _), (x_test, _) = fashion
    rng = np.random.default_rng(0)
    copies = np.clip(
        x_train[:100].astype(int) + rng.integers(-6, 7, x_train[:100].shape), 0, 255
    ).astype(np.uint8)
    assert (dcgan_metrics.nearest_distances(copies, x_train) < NEAR_COPY).all()
    # real test images are new clothes: none lies that close to a training image
    real = dcgan_metrics.memorisation(x_test[:300], x_test[:300], x_train)
    assert real["near_copies"] == 0 and real["nearest_train_distance"]["min"] > NEAR_COPY
    assert dcgan_metrics.memorisation(copies, x_test[:100], x_train)["near_copies"] == 100


def test_served_generator_copies_no_training_image(fashion):
    """The nearest training image of each of 1,000 samples is further than NEAR_COPY."""
    (x_train, _), _ = fashion
    samples = dcgan.to_pixels(load_keras(dcgan.ID).predict(check_latents(1_000), verbose=0))
    distances = dcgan_metrics.nearest_distances(samples, x_train)
    assert distances.min() >= NEAR_COPY


def test_the_recipe_follows_the_dcgan_paper():
    """Batch norm in the generator but not on its output, not on the discriminator's
    first layer; ReLU in the generator, LeakyReLU 0.2 in the discriminator, tanh out."""
    from keras import layers

    generator, discriminator = (
        dcgan_training.make_generator(),
        dcgan_training.make_discriminator(),
    )
    assert generator.input_shape == (None, dcgan.LATENT_DIM)
    assert generator.output_shape == (None, 28, 28, 1)
    kinds = [type(layer).__name__ for layer in generator.layers]
    assert kinds.count("BatchNormalization") == 2 and "LeakyReLU" not in kinds
    assert generator.layers[-1].activation.__name__ == "tanh"
    first, *rest = [
        i for i, layer in enumerate(discriminator.layers) if "Conv" in type(layer).__name__
    ]
    assert not isinstance(discriminator.layers[first + 1], layers.BatchNormalization)
    assert all(isinstance(discriminator.layers[i + 1], layers.BatchNormalization) for i in rest)
    slopes = {
        layer.negative_slope
        for layer in discriminator.layers
        if isinstance(layer, layers.LeakyReLU)
    }
    assert slopes == {0.2}
    assert not any(isinstance(layer, layers.Dropout) for layer in discriminator.layers)
    assert (
        dcgan_training.REAL_LABEL < 1
        and dcgan_training.BETA_1 == 0.5
        and dcgan_training.LEARNING_RATE == 2e-4
    )


@pytest.mark.slow
def test_smoke_training_writes_a_sealed_weights_folder(tmp_path):
    clothes_generation_dcgan.main(["--smoke", "--out", str(tmp_path)])
    names = {path.name for path in tmp_path.iterdir()}
    assert names == {
        "model.keras",
        "fashion_classifier.keras",
        "fid_reference.npz",
        "training.gif",
        "samples.png",
        "metrics.json",
        "README.md",
        "SHA256SUMS",
    }
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["steps"] == 1 and metrics["fid"] >= 0
    assert metrics["memorisation"]["samples"] == 64
    assert metrics["chosen_step"] == 1 and list(metrics["fid_by_epoch"]) == ["1.0"]


def test_api_returns_the_image_of_a_seed(hub_client, generate):
    path = hub_client.predict(42, 16, api_name=f"/{dcgan.ID}")
    assert np.array_equal(np.asarray(Image.open(path).convert("L")), generate[0](42, 16))


def test_api_generates_from_a_drawing(hub_client):
    from gradio_client import handle_file

    drawing = {"background": None, "layers": [], "composite": handle_file(str(EXAMPLES[0]))}
    image, latent = hub_client.predict(drawing, api_name=f"/{dcgan.ID}_drawing")
    assert Image.open(image).size == (28 * 8, 28 * 8)
    assert Image.open(latent).size == (160, 160)
