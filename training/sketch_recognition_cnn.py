"""Sketch recognition with a convolutional network (upstream experiment 4).

Upstream's CNN (Conv 32 5x5 -> MaxPool -> Conv 32 3x3 -> MaxPool -> Conv 64 3x3 ->
MaxPool -> Dense 512 -> Dense <categories>, all 'same' padding), trained and measured as
training/sketch_recognition.py describes.
Its figures: weights/sketch_recognition_cnn/metrics.json (and README's experiments table).

    python -m training.sketch_recognition_cnn [--epochs N] [--refresh-fixtures]
"""

import keras

from training import sketch_recognition

CONFIG = {
    "id": "sketch_recognition_cnn",
    "epochs": 8,
    "batch_size": 256,
    "learning_rate": 3e-3,  # upstream's
    "upstream": 0.67,  # upstream's top-1 on real QuickDraw (different data)
}


def build_model(categories: int) -> keras.Model:
    """Upstream's architecture, with as many outputs as categories."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(categories, activation="softmax"),
        ]
    )


def main(argv: list[str] | None = None) -> dict:
    return sketch_recognition.main(CONFIG, build_model, argv, __doc__)


if __name__ == "__main__":
    main()
