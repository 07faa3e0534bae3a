"""Sketch recognition with a multilayer perceptron (upstream experiment 3).

Upstream's MLP (Flatten -> 3 x Dense 512 relu -> Dense <categories> softmax), trained and
measured as training/sketch_recognition.py describes.
Its figures: weights/sketch_recognition_mlp/metrics.json (and README's experiments table).

    python -m training.sketch_recognition_mlp [--epochs N] [--refresh-fixtures]
"""

import keras

from training import sketch_recognition

CONFIG = {
    "id": "sketch_recognition_mlp",
    "epochs": 12,
    "batch_size": 256,
    "learning_rate": 1e-3,
    "upstream": 0.61,  # upstream's top-1 on real QuickDraw (different data)
}


def build_model(categories: int) -> keras.Model:
    """Upstream's architecture, with as many outputs as categories."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(categories, activation="softmax"),
        ]
    )


def main(argv: list[str] | None = None) -> dict:
    return sketch_recognition.main(CONFIG, build_model, argv, __doc__)


if __name__ == "__main__":
    main()
