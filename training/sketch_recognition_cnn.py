"""Sketch recognition with a convolutional network (upstream experiment 4).

Trains upstream's CNN (Conv 32 5x5 -> MaxPool -> Conv 32 3x3 -> MaxPool -> Conv 64 3x3 ->
MaxPool -> Dense 512 -> Dense <categories>, all 'same' padding; 469,692 parameters at
284 categories, 501k at 345) on doodle-ised, hand-drawn-style renders of icons from 35
npm icon sets (line art, emoji, silhouettes: 4,127 drawings, median 10 per category, 250
renders per category), mapped to QuickDraw categories (see training/sketch_recognition_data.py),
8 epochs. On the frozen test set, 381 doodles of 127 categories drawn in QuickDraw's manner
(tests/data/sketch_test_doodles.json): 0.4357 top-1, 0.6352 top-3 over 284 categories; on
the development doodles (tests/data/doodles.json, 261 of 87 categories, where recipes are
chosen): 0.567 top-1, 0.7586 top-3; on the icon set training never saw (leave-one-set-out, lucide):
0.466 top-1, 0.6438 top-3 (upstream: 0.67 top-1 on real QuickDraw, different data).
Run: `python -m training.sketch_recognition_cnn`.
"""

import keras

from training import sketch_recognition

EXPERIMENT_ID = "sketch_recognition_cnn"
EPOCHS = 8
BATCH_SIZE = 256
LEARNING_RATE = 3e-3  # upstream's


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


if __name__ == "__main__":
    sketch_recognition.main(
        __doc__,
        EXPERIMENT_ID,
        build_model,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
    )
