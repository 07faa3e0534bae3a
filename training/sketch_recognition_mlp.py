"""Sketch recognition with a multilayer perceptron (upstream experiment 3).

Trains upstream's MLP (Flatten -> 3 x Dense 512 relu -> Dense <categories> softmax;
1,052,917 parameters at 245 categories, 1.1M at 345) on hand-drawn-style renders of
outline icons from ten npm icon sets, mapped to QuickDraw categories (see
training/sketch_recognition_data.py). Measured on an eleventh icon set that training never saw
(leave-one-set-out): 0.3473 top-1, 0.5151 top-3 over 245 categories (upstream: 0.61
top-1 on real QuickDraw, different data). Run: `python -m training.sketch_recognition_mlp`.
"""

import keras

from training import sketch_recognition

EXPERIMENT_ID = "sketch_recognition_mlp"
EPOCHS = 10
BATCH_SIZE = 256
LEARNING_RATE = 1e-3


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


if __name__ == "__main__":
    sketch_recognition.main(
        __doc__,
        EXPERIMENT_ID,
        build_model,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
    )
