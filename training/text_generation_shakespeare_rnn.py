"""Shakespeare-like text from a character-level GRU.

Trains an Embedding 64 -> GRU 256 -> Dense network on Shakespeare's 154 sonnets (olipy,
94k characters; upstream used tiny-shakespeare, 1.1M characters, and a 1024-unit LSTM
that would only memorise this little text). 8 sonnets are held out for validation (the
kept model is the one with the lowest loss per character on them) and 8 more as a test
that training never reads.
Its figures: weights/text_generation_shakespeare_rnn/metrics.json (and README's experiments table).

    python -m training.text_generation_shakespeare_rnn [--source upstream] [--epochs N]
"""

from training import text_generation

CONFIG = {
    "id": "text_generation_shakespeare_rnn",
    "title": "Shakespeare text generator",
    "corpus": {"registry": "sonnets", "upstream": "tiny_shakespeare"},
    "data_description": "Shakespeare's 154 sonnets (public domain) from the `olipy` package",
    "license": "mit",  # the project licence; the sonnets are public domain
    "dropout": 0.2,
    "batch_size": 32,
    "test": 0.05,  # never read in training: data/text_generation/text_test.json holds it
    "epochs": 25,
    "epoch_chars": 200_000,
    "upstream_figure": "train loss 0.467 (tiny-shakespeare, LSTM 1024, 40 epochs)",
    "upstream_train_loss": 0.467,
}


def main(argv: list[str] | None = None) -> dict:
    return text_generation.train(CONFIG, argv, __doc__)


if __name__ == "__main__":
    main()
