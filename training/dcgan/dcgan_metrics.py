"""How good a generator's clothes are, measured with a small Fashion-MNIST classifier
trained here: the Frechet distance between its features of generated and real images
(FID), the share of samples it classifies with confidence and how many classes they
cover (``sample_quality``), and whether samples copy training images (``memorisation``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.dcgan import to_pixels

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
CONFIDENT = 0.9  # a sample counts as confidently classified from this probability
NEAR_COPY = 0.8  # L2 in [0, 1] pixels (an RMS difference of 0.029 a pixel): closer is a near-copy


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
    than NEAR_COPY, chosen under the closest real test image's distance (metrics.json:
    real_test_nearest_train_distance; even Fashion-MNIST's own near-duplicates across its
    splits are further apart). The distances of the real test images are the yardstick.
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
