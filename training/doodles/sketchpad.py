"""The canvas as serving sees it: strokes in canvas pixels drawn as the Sketchpad sends
them (``canvas``), and the committed doodle sets through the tab's preprocessing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.drawing import to_mnist


def canvas(strokes: Iterable, brush: int = 12, size: int = 400) -> Image.Image:
    """Strokes in canvas pixels -> what the Sketchpad sends: an opaque RGBA composite,
    black round-capped brush lines of width ``brush`` on white."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    pen = ImageDraw.Draw(image)
    radius = brush / 2
    for stroke in strokes:
        xy = [tuple(map(float, p)) for p in stroke]
        if len(xy) > 1:
            pen.line(xy, fill=(0, 0, 0, 255), width=brush, joint="curve")
        for x, y in xy if len(xy) < 3 else (xy[0], xy[-1]):
            pen.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(0, 0, 0, 255))
    return image


def doodle_set(path: Path, brush: int = 12, framing=to_mnist) -> tuple[np.ndarray, list[str]]:
    """A committed doodle set (category -> drawings -> strokes of [x, y] canvas pixels)
    -> (uint8 N x 28 x 28 through ``framing``, a core.drawing preprocessing (to_both: N
    x 28 x 28 x 2), category of each)."""
    drawings = json.loads(Path(path).read_text())
    images, names = [], []
    for category, versions in drawings.items():
        for strokes in versions:
            images.append(np.round(framing(canvas(strokes, brush)) * 255).astype(np.uint8))
            names.append(category)
    return np.stack(images), names
