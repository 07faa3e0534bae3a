"""Drawing -> 28x28 model input: the preprocessing functions of every sketch input.

Serving (digits and doodles on a gr.Sketchpad), training-data rendering and the tests
all go through ``to_mnist``: ink is inverted to white-on-black, cropped to its bounding
box, thickened to MNIST's stroke width, scaled so its longest side is 20 px (aspect
kept) and centred by centre of mass in 28x28 -- exactly how MNIST itself was made.
Upstream resized the whole canvas instead, so small or off-centre drawings failed.

The one other framing, ``to_quickdraw``, is that of QuickDraw's bitmaps, on which
upstream trained its sketch models: the same crop, the whole drawing in a 24-px box
centred by its box. ``to_both`` gives the two stacked, for a model that takes both.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

SIZE = 28  # model input, as MNIST
BOX = 20  # the longest side of the drawing inside it, as MNIST
WORK = 80  # working resolution for the stroke-width normalisation
# Thinner strokes are thickened to 9.5% of the drawing's size (1.9 px in the 20-px box):
# MNIST's median is 11.5%, its thinnest tenth below 8.5%, so real digits stay as they are.
STROKE_FRACTION = 0.095
INK_THRESHOLD = 0.2  # ink level (0 paper, 1 black) that counts as drawn
MIN_INK_PIXELS = 4  # fewer inked pixels than this is an empty canvas (a stray click)
# The sketch tab's brush, px on its 400-px canvas: the doodle test set, the tab's example
# doodles and the canvas a visitor draws on all use it.
BRUSH_SIZE = 12
# QuickDraw's framing (``quickdraw_framing``), chosen on the development doodles with
# upstream's models: box 22, 24 or 26 px, strokes 6 to 8% of the drawing (24 and 7% best).
QUICKDRAW_BOX = 24
QUICKDRAW_STROKE_FRACTION = 0.07


def ink_from(value) -> np.ndarray | None:
    """Any canvas -> float ink map in [0, 1] (1 = black ink), or None when nothing came.

    Accepts a gr.Sketchpad / gr.ImageEditor dict, a PIL image or a numpy array in L, LA,
    RGB or RGBA with dark ink on a light background; transparent pixels count as paper.
    """
    if isinstance(value, dict):
        value = value.get("composite")
    if value is None:
        return None
    if isinstance(value, Image.Image):
        image = value
        if image.mode in ("I;16", "I", "F"):  # 16-bit or float greyscale
            value = np.asarray(image, dtype=np.float64)
    if not isinstance(value, Image.Image):
        array = np.asarray(value)
        if array.dtype == np.uint16 or array.dtype.kind in "fi" and array.max() > 255:
            array = array / 257.0
        elif array.dtype.kind == "f" and array.max() <= 1.0:
            array = array * 255.0
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA", "P"):
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    return 1.0 - grey / 255.0


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the inked area over its boundary length."""
    mask = ink > 0.5
    area = mask.sum()
    if area == 0:
        return 0.0
    inner = mask.copy()
    inner[1:, :] &= mask[:-1, :]
    inner[:-1, :] &= mask[1:, :]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    boundary = area - inner.sum()
    return float(2.0 * area / max(boundary, 1))


def dilate(ink: np.ndarray, size: int) -> np.ndarray:
    """Grey dilation by a size x size square: every stroke grows by size - 1 pixels.

    (numpy, not PIL's MaxFilter, which dies of SIGFPE on images narrower than the filter.)
    """
    padded = np.pad(ink, size // 2)
    rows = sliding_window_view(padded, size, axis=0).max(axis=-1)
    return sliding_window_view(rows, size, axis=1).max(axis=-1)


def _resize(ink: np.ndarray, width: int, height: int) -> np.ndarray:
    image = Image.fromarray(ink.astype(np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BOX), dtype=np.float32)


def _fit(ink: np.ndarray, side: int) -> np.ndarray:
    """Scale so the longest side is ``side`` px, keeping the aspect ratio."""
    height, width = ink.shape
    scale = side / max(height, width)
    return _resize(ink, max(1, round(width * scale)), max(1, round(height * scale)))


def drawn_ink(value) -> np.ndarray | None:
    """A drawing -> its ink map cropped to the drawn bounding box and scaled so its
    longest side is WORK px (what every framing starts from); None if nothing is drawn."""
    ink = ink_from(value)
    if ink is None:
        return None
    drawn = ink > INK_THRESHOLD
    if drawn.sum() < MIN_INK_PIXELS:
        return None
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    # Stroke widths are normalised at this fixed working size: a thin brush on a big
    # canvas would otherwise fade to a faint 1-px trace after downscaling.
    return _fit(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], WORK)


def _even_strokes(ink: np.ndarray, fraction: float, side: int) -> np.ndarray:
    """Working ink (``drawn_ink``) with its strokes thickened to ``fraction`` of the
    drawing's size, scaled so its longest side is ``side`` px, in [0, 1]."""
    missing = fraction * WORK - stroke_width(ink)
    if missing >= 1:
        ink = dilate(ink, 2 * round(missing / 2) + 1)
    return np.clip(_fit(ink, side), 0.0, 1.0)


def _placed(ink: np.ndarray, top: int, left: int) -> np.ndarray:
    """``ink`` pasted at (top, left) of a black SIZE x SIZE image, brightest ink 1."""
    height, width = ink.shape
    top = min(max(top, 0), SIZE - height)
    left = min(max(left, 0), SIZE - width)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top : top + height, left : left + width] = ink
    return out / out.max()


def mnist_framing(ink: np.ndarray) -> np.ndarray:
    """Working ink (``drawn_ink``) -> MNIST's framing: 20-px box, centre of mass centred."""
    ink = _even_strokes(ink, STROKE_FRACTION, BOX)
    height, width = ink.shape
    total = ink.sum()
    centre_y = (ink.sum(axis=1) @ np.arange(height)) / total
    centre_x = (ink.sum(axis=0) @ np.arange(width)) / total
    return _placed(
        ink, int(round(SIZE / 2 - 0.5 - centre_y)), int(round(SIZE / 2 - 0.5 - centre_x))
    )


def quickdraw_framing(ink: np.ndarray) -> np.ndarray:
    """Working ink (``drawn_ink``) -> the framing of QuickDraw's 28x28 bitmaps, which
    upstream's models were trained on: the whole drawing in a 24-px box, centred by its
    box, strokes 7% of its size."""
    ink = _even_strokes(ink, QUICKDRAW_STROKE_FRACTION, QUICKDRAW_BOX)
    height, width = ink.shape
    return _placed(ink, (SIZE - height) // 2, (SIZE - width) // 2)


def to_mnist(value) -> np.ndarray | None:
    """A drawing -> (28, 28) float32 in [0, 1], white on black; None if nothing is drawn."""
    ink = drawn_ink(value)
    return None if ink is None else mnist_framing(ink)


def to_quickdraw(value) -> np.ndarray | None:
    """A drawing -> (28, 28) float32 in [0, 1] in QuickDraw's framing; None if nothing is
    drawn. The sketch models' other input kind (``quickdraw_framing``)."""
    ink = drawn_ink(value)
    return None if ink is None else quickdraw_framing(ink)


def to_both(value) -> np.ndarray | None:
    """A drawing -> (28, 28, 2): ``to_mnist`` and ``to_quickdraw`` stacked, the drawing
    read and cropped once (the input of a sketch model that combines both kinds)."""
    ink = drawn_ink(value)
    if ink is None:
        return None
    return np.stack([mnist_framing(ink), quickdraw_framing(ink)], axis=-1)
