"""The Home tab's card pictures (ui/gallery/<id>.webp) show what the served models answer
now: each is made again from the served model, as tools/make_gallery.py makes it, and
compared with the committed one. After a retrain: `python -m tools.make_gallery --only <id>`."""

import numpy as np
import pytest
from PIL import Image

from core.experiments import EXPERIMENTS
from tools import make_gallery
from ui import GALLERY

# A picture is stale when more than this share of its pixels changed by over a quarter of
# the grey range. The same picture made again gives 0; probabilities that moved a little
# move the bars by a pixel or two (under 0.1%); another example or another answer changes
# 4-13% (a "3" for a "7" in the digits' pictures: 6%).
STALE = 0.005


@pytest.fixture(scope="module")
def served():
    """Each experiment's request function, by its API name, as the hub serves it."""
    from hub import build_hub

    app = build_hub(None)
    return {block.api_name: block.fn for block in app.fns.values() if block.api_name}


def changed(one, other) -> float:
    """The share of pixels that differ by more than 64 grey levels between two pictures."""
    a, b = (np.asarray(Image.open(path).convert("L"), float) for path in (one, other))
    return float((np.abs(a - b) > 64).mean())


@pytest.fixture(scope="module")
def fresh(served, tmp_path_factory) -> dict:
    """Every picture made again now, saved as the gallery saves it."""
    folder = tmp_path_factory.mktemp("gallery")
    paths = {}
    for experiment in EXPERIMENTS:
        assert experiment.id in served, f"{experiment.id} is not served"
        paths[experiment.id] = folder / f"{experiment.id}.webp"
        picture = make_gallery.picture(experiment.id, served[experiment.id])
        picture.save(paths[experiment.id], quality=80, method=6)
    return paths


def test_every_gallery_picture_shows_what_the_served_model_answers_now(fresh):
    stale = []
    for experiment in EXPERIMENTS:
        committed = GALLERY / f"{experiment.id}.webp"
        difference = changed(committed, fresh[experiment.id])
        if difference > STALE:
            stale.append(f"{experiment.id} ({difference:.1%} changed)")
    assert not stale, f"stale pictures, rerun python -m tools.make_gallery: {stale}"


def test_another_answer_would_count_as_stale(fresh):
    """The tolerance tells pictures apart: two models' pictures of one kind differ."""
    pairs = [
        ("digits_recognition_mlp", "digits_recognition_cnn"),
        ("sketch_recognition_mlp", "sketch_recognition_cnn"),
        ("text_generation_shakespeare_rnn", "text_generation_wikipedia_rnn"),
    ]
    for one, other in pairs:
        assert changed(fresh[one], fresh[other]) > 5 * STALE, (one, other)
