"""Sketch recognition with a convolutional network (upstream experiment 4).

Trains upstream's CNN (Conv 32 5x5 -> MaxPool -> Conv 32 3x3 -> MaxPool -> Conv 64 3x3 ->
MaxPool -> Dense 512 -> Dense <categories>, all 'same' padding; 449,685 parameters at
245 categories, 501k at 345) on hand-drawn-style renders of outline icons from ten npm
icon sets, mapped to QuickDraw categories (see training/sketch_data.py). Measured on an
eleventh icon set that training never saw (leave-one-set-out): 0.4258 top-1, 0.6059
top-3 over 245 categories (upstream: 0.67 top-1 on real QuickDraw, different data).
Run: `python -m training.sketch_recognition_cnn`.
"""

import keras

from training import common, sketches

EXPERIMENT_ID = "sketch_recognition_cnn"
EPOCHS = 6
BATCH_SIZE = 256
LEARNING_RATE = 3e-3  # upstream's
CHECKPOINTS = common.CACHE / "checkpoints" / EXPERIMENT_ID


def main(argv: list[str] | None = None) -> None:
    """Data -> model -> train -> evaluate -> weights/<id>/ (see the docstring)."""
    args = common.parse_args(__doc__, EPOCHS, argv)
    keras.utils.set_random_seed(sketches.SEED)

    # Data: fresh hand-drawn renders of the training icon sets; the held-out set is test.
    (x_train, y_train), test, labels, info = sketches.load(args.source, args.smoke)
    x_train, y_train = sketches.shuffled(x_train, y_train)

    # Model: upstream's architecture, with as many outputs as categories.
    model = keras.Sequential(
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
            keras.layers.Dense(len(labels), activation="softmax"),
        ]
    )

    # Train: Adam at upstream's rate, decayed to a tenth over the run; resumable.
    history = sketches.train(model, x_train, y_train, args, LEARNING_RATE, BATCH_SIZE, CHECKPOINTS)

    # Evaluate on the held-out icon set and write weights/<id>/.
    folder = sketches.save(
        EXPERIMENT_ID,
        model,
        history,
        test,
        labels,
        info,
        len(x_train),
        args,
        "Sketch recognition (CNN)",
    )
    if args.push:
        common.push(EXPERIMENT_ID, folder)


if __name__ == "__main__":
    main()
