"""The tabs' examples are disjoint from every test set: no example input is a copy, or a
shifted or re-scaled near-copy, of an input that a test scores a model on.

Examples are authored or fetched apart from the test sets (EXAMPLES in
data/sketch_recognition/author_doodles.py,
data/digits_recognition/author_digit_examples.py, training/photos/example_photos.py); this checks
it, over every committed test set (every ``images`` array in data/*/*.npz, the two doodle
sets, the held-out texts) and the hand-labelled detection photo. Inputs are compared as
the models see them: drawings through ``to_mnist`` (which centres and scales them, so a
shifted copy is caught), photos resized to each test set's size.
"""

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from core import DATA, ROOT, text_generator
from core.drawing import BRUSH_SIZE, to_mnist
from training.doodles import sketchpad

EXAMPLES = ROOT / "ui" / "examples"
DRAWING_FAMILIES = {"digits_recognition", "sketch_recognition", "clothes_generation_dcgan"}
# Mean absolute difference (pixels in [0, 1]) under which two inputs count as copies. The
# examples that used to be copies were 0.007-0.026 from their test input (digits taken from
# the held-out sample, doodles drawn by shifting test strokes); different drawings of one
# thing are further apart (a hand-drawn "1" is 0.034 from the nearest MNIST "1").
NEAR_DRAWING = 0.03
NEAR_PHOTO = 0.03


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def example_files(drawings: bool) -> list:
    files = [p for p in sorted(EXAMPLES.rglob("*")) if p.suffix in (".png", ".jpg", ".webp")]
    return [p for p in files if (p.parent.name in DRAWING_FAMILIES) == drawings]


@pytest.fixture(scope="module")
def drawing_test_sets() -> dict[str, np.ndarray]:
    """Every 28 x 28 test input, uint8 white on black as the models see it."""
    sets = {}
    for path in sorted(DATA.rglob("*.npz")):
        images = np.load(path).get("images")
        if images is not None and images.shape[1:] == (28, 28):
            sets[path.name] = images
    for name in ("doodles.json", "sketch_test_doodles.json"):
        sets[name] = sketchpad.doodle_set(DATA / "sketch_recognition" / name, BRUSH_SIZE)[0]
    return sets


@pytest.fixture(scope="module")
def photo_test_sets() -> dict[str, np.ndarray]:
    """Every photo test input, uint8 RGB, each set at its own size."""
    from training.photos.example_photos import skimage_photo  # the photo of CAMERA_BOXES

    sets = {}
    for path in sorted(DATA.rglob("*.npz")):
        images = np.load(path).get("images")
        if images is not None and images.ndim == 4:
            sets[path.name] = images
    sets["objects detection photo"] = np.asarray(skimage_photo("camera"))[None]
    return sets


def test_the_checks_see_every_test_set_and_example(drawing_test_sets, photo_test_sets):
    assert {"digits_heldout.npz", "sketches_heldout.npz", "doodles.json"} <= set(drawing_test_sets)
    assert "sketch_test_doodles.json" in drawing_test_sets
    assert {"rps_heldout.npz", "objects detection photo"} <= set(photo_test_sets)
    assert len(example_files(drawings=True)) >= 20 and len(example_files(drawings=False)) >= 5


def test_no_drawn_example_is_a_test_drawing_or_a_near_copy(drawing_test_sets):
    for path in example_files(drawings=True):
        example = np.round(to_mnist(Image.open(path)) * 255).astype(np.uint8)
        for name, images in drawing_test_sets.items():
            assert digest(example) not in {digest(image) for image in images}, (path, name)
            distance = np.abs(images / 255.0 - example / 255.0).mean(axis=(1, 2))
            assert distance.min() > NEAR_DRAWING, (path.name, name, distance.argmin())


def test_no_example_photo_is_a_test_photo_or_a_near_copy(photo_test_sets):
    for path in example_files(drawings=False):
        photo = Image.open(path).convert("RGB")
        for name, images in photo_test_sets.items():
            height, width = images.shape[1:3]
            example = np.asarray(photo.resize((width, height), Image.Resampling.BILINEAR))
            assert digest(example) not in {digest(image) for image in images}, (path, name)
            distance = np.abs(images / 255.0 - example / 255.0).mean(axis=(1, 2, 3))
            assert distance.min() > NEAR_PHOTO, (path.name, name, distance.argmin())


def test_near_copies_are_caught():
    """The drawing check fails on an example made by shifting a test doodle."""
    strokes = json.loads((DATA / "sketch_recognition" / "sketch_test_doodles.json").read_text())[
        "cat"
    ][0]
    shifted = [[[x + 9, y - 7] for x, y in stroke] for stroke in strokes]
    original, copy = (to_mnist(sketchpad.canvas(s, BRUSH_SIZE)) for s in (strokes, shifted))
    assert np.abs(original - copy).mean() <= NEAR_DRAWING


def test_no_example_prompt_is_a_held_out_text():
    held_out = json.loads((DATA / "text_generation" / "text_heldout.json").read_text())
    for experiment_id, spec in text_generator.SPECS.items():
        for prompt in spec.examples:
            for document in held_out[experiment_id]:
                assert prompt.strip() != document.strip()
                assert len(prompt.strip()) < 5 or not document.startswith(prompt.strip())
