"""Writes tests/data/text_heldout.json: held-out documents of the three char-RNN
generators, for the held-out loss test.

Each generator's validation documents are the ones its training run held out
(``split_documents`` with the config's share and seed 0), so no model saw them; the
first few of them, up to about ``BUDGET`` characters, are committed so that the test
runs without the corpora.

Run: `python tests/data/make_text_heldout.py` (fetches the three corpora).
"""

from __future__ import annotations

import json
from pathlib import Path

from training.recipe_generation_rnn import CONFIG as RECIPES
from training.text_generation import split_documents
from training.text_generation_shakespeare_rnn import CONFIG as SHAKESPEARE
from training.text_generation_wikipedia_rnn import CONFIG as WIKIPEDIA

OUT = Path(__file__).resolve().parent / "text_heldout.json"
BUDGET = 6000  # characters per generator: enough for a stable mean loss


def held_out(config) -> list[str]:
    _, validation = split_documents(config.corpus["registry"](), config.validation)
    kept, size = [], 0
    for document in validation:
        if size >= BUDGET:
            break
        kept.append(document)
        size += len(document)
    return kept


if __name__ == "__main__":
    sets = {c.id: held_out(c) for c in (SHAKESPEARE, WIKIPEDIA, RECIPES)}
    OUT.write_text(json.dumps(sets, ensure_ascii=False, indent=1) + "\n")
    for name, documents in sets.items():
        print(name, len(documents), "documents,", sum(map(len, documents)), "characters")
