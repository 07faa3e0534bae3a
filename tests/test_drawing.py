"""The one drawing -> 28x28 preprocessing (core/drawing.py), pinned on canvases a
visitor could send."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.drawing import BOX, SIZE, stroke_width, to_mnist


def canvas(size=400, lines=(((150, 100), (250, 300)),), width=20, mode="RGB"):
    """Black strokes on white paper, like the Sketchpad's composite."""
    image = Image.new("RGB", (size, size) if isinstance(size, int) else size, "white")
    draw = ImageDraw.Draw(image)
    for line in lines:
        draw.line(line, fill="black", width=width)
    return image.convert(mode)


def seven(offset=(0, 0), scale=1.0, size=400, width=20):
    dx, dy = offset
    points = [(100, 80), (300, 80), (180, 330)]
    points = [(dx + 100 + (x - 100) * scale, dy + 80 + (y - 80) * scale) for x, y in points]
    return canvas(size, [points[:2], points[1:]], width)


def centre_of_mass(image):
    ys, xs = np.indices(image.shape)
    return (ys * image).sum() / image.sum(), (xs * image).sum() / image.sum()


def test_output_is_mnist_shaped_white_on_black():
    digit = to_mnist(seven())
    assert digit.shape == (SIZE, SIZE) and digit.dtype == np.float32
    assert digit.max() == pytest.approx(1.0) and digit.min() == 0.0
    assert digit[0].sum() == 0 and digit[:, 0].sum() == 0  # paper became black


def test_off_centre_digit_is_centred_by_centre_of_mass():
    corner = to_mnist(seven(offset=(-90, -70), scale=0.5))
    y, x = centre_of_mass(corner)
    assert abs(y - 13.5) < 1 and abs(x - 13.5) < 1
    np.testing.assert_allclose(corner, to_mnist(seven(scale=0.5)), atol=0.05)


def test_tiny_and_large_drawings_fill_the_twenty_pixel_box():
    for digit in (to_mnist(seven(scale=0.15, width=4)), to_mnist(seven(size=3000, scale=7))):
        rows = np.flatnonzero(digit.max(axis=1) > 0.05)
        assert BOX - 1 <= rows[-1] - rows[0] + 1 <= BOX + 1


def test_aspect_ratio_is_kept():
    one = to_mnist(canvas(lines=[((200, 50), (200, 350))], width=16))
    rows = np.flatnonzero(one.max(axis=1) > 0.05)
    cols = np.flatnonzero(one.max(axis=0) > 0.05)
    assert len(rows) >= BOX - 1 and len(cols) <= 6


def test_one_pixel_vertical_line_is_thickened_not_fatal():
    one = to_mnist(canvas(size=800, lines=[((400, 100), (400, 700))], width=1))
    rows = np.flatnonzero(one.max(axis=1) > 0.5)
    cols = np.flatnonzero(one.max(axis=0) > 0.5)
    assert len(rows) >= BOX - 1 and 1 <= len(cols) <= 4


def test_thin_brush_on_big_canvas_is_thickened_to_mnist_strokes():
    thin = to_mnist(seven(size=800, scale=2, width=2))
    thick = to_mnist(seven(size=800, scale=2, width=40))
    assert stroke_width(thin * 1.0) >= 2.0
    assert (thin > 0.5).sum() > 0.6 * (thick > 0.5).sum()


def test_grey_rgb_and_rgba_canvases_give_the_same_input():
    reference = to_mnist(seven())
    for mode in ("L", "RGBA"):
        np.testing.assert_allclose(to_mnist(seven().convert(mode)), reference, atol=1e-6)
    np.testing.assert_allclose(to_mnist(np.asarray(seven())), reference, atol=1e-6)


def test_transparent_layer_counts_as_paper():
    layer = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line([(100, 80), (300, 80), (180, 330)], fill="black", width=20)
    np.testing.assert_allclose(to_mnist(layer), to_mnist(seven()), atol=1e-6)


def test_sixteen_bit_canvas_works():
    grey16 = (np.asarray(seven().convert("L"), np.uint16) * 257).astype(np.uint16)
    np.testing.assert_allclose(to_mnist(grey16), to_mnist(seven()), atol=0.02)


def test_sketchpad_dict_uses_its_composite():
    value = {"background": None, "layers": [], "composite": np.asarray(seven().convert("RGBA"))}
    np.testing.assert_allclose(to_mnist(value), to_mnist(seven()), atol=1e-6)


@pytest.mark.parametrize(
    "empty",
    [
        None,
        {"background": None, "layers": [], "composite": None},
        np.full((400, 400, 4), 255, np.uint8),
        canvas(lines=[]),
        canvas(lines=[((10, 10), (11, 10))], width=1),  # a stray click
    ],
)
def test_empty_canvas_is_none_not_a_guess(empty):
    assert to_mnist(empty) is None
