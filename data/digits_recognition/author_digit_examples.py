# ruff: noqa: E501
"""The digits tabs' example drawings: writes ui/examples/digits_recognition/<digit>.png.

Each digit was written by hand here as canvas strokes, once, the way a visitor draws with
the mouse (some small, some off-centre), with a hand's wobble; drawn with the digits
tab's brush on its white 400 x 400 canvas. None comes from MNIST, so none can be a copy
of a test digit (tests/test_examples.py checks every example against every test set).
They were not picked for the models' answers.

Run: `python -m data.digits_recognition.author_digit_examples` (the PNGs are committed).
"""

from __future__ import annotations

import numpy as np

from core import ROOT
from data.sketch_recognition.doodle_shapes import C, P, wobble

FOLDER = ROOT / "ui" / "examples" / "digits_recognition"
BRUSH = 24  # ui/common.py sketchpad's default brush

# fmt: off
DIGITS = {
    0: [C(200, 200, 80, ry=130)],
    1: [P(180, 110, 215, 75, 215, 330)],
    2: [P(120, 130, 160, 80, 240, 80, 280, 130, 270, 190, 120, 320, 290, 320)],
    3: [C(190, 140, 70, -150, 90, ry=55), C(190, 255, 80, -90, 150, ry=65)],
    4: [P(250, 330, 250, 70, 110, 250, 300, 250)],
    5: [P(270, 80, 140, 80, 130, 185), C(195, 245, 80, -120, 150, ry=75)],
    6: [P(250, 70, 170, 150, 130, 240), C(200, 260, 75, ry=70)],
    7: [P(110, 90, 290, 90, 170, 330)],
    8: [C(200, 130, 65, ry=55), C(200, 265, 80, ry=70)],
    9: [C(200, 140, 70, ry=65), P(270, 140, 260, 330)],
}
# Where and how big each is drawn: (scale, dx, dy) around the canvas centre.
PLACES = {0: (0.9, -60, 0), 1: (1.0, 0, 0), 2: (0.55, 90, -90), 3: (1.0, 10, 10), 4: (0.7, -80, 60),
          5: (0.95, 0, 0), 6: (0.6, 70, 80), 7: (1.0, -20, 0), 8: (0.8, 0, -30), 9: (0.5, -100, -100)}
# fmt: on


def main() -> None:
    from training.doodles.sketchpad import canvas

    rng = np.random.default_rng(10)
    FOLDER.mkdir(parents=True, exist_ok=True)
    for digit, strokes in DIGITS.items():
        scale, dx, dy = PLACES[digit]
        placed = [
            [[200 + (x - 200) * scale + dx, 200 + (y - 200) * scale + dy] for x, y in s]
            for s in strokes
        ]
        image = canvas(wobble(placed, rng), BRUSH).convert("L")
        image.save(FOLDER / f"{digit}.png", optimize=True)


if __name__ == "__main__":
    main()
