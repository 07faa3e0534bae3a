"""Sketch recognition with a multilayer perceptron (upstream experiment 3).

Trains upstream's MLP (Flatten -> 3 x Dense 512 relu -> Dense <categories> softmax;
1,072,924 parameters at 284 categories, 1.1M at 345) on doodle-ised, hand-drawn-style
renders of icons from 35 npm icon sets (line art, emoji, silhouettes: 4,127 drawings,
median 10 per category, 250 renders per category), mapped to QuickDraw categories (see
training/sketch_recognition_data.py), 12 epochs. On the frozen test set, 381 doodles of 127
categories drawn in QuickDraw's manner (tests/data/sketch_test_doodles.json): 0.3491 top-1,
0.4908 top-3 over 284 categories; on the development doodles (tests/data/doodles.json, 261
of 87 categories, where recipes are chosen): 0.4789 top-1, 0.6513 top-3; on the icon set
training never saw (leave-one-set-out, lucide): 0.362 top-1, 0.5287 top-3 (upstream: 0.61
top-1 on real QuickDraw, different data). Run: `python -m training.sketch_recognition_mlp`.
"""

import keras

from training import sketch_recognition

EXPERIMENT_ID = "sketch_recognition_mlp"
EPOCHS = 12
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
