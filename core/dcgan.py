"""Clothes generation with a DCGAN (upstream experiment 13) without the UI: noise or a
drawing -> clothes.

The generator maps a 100-d latent vector to a 28x28 Fashion-MNIST-like image; the one
served is the moving average of the trained generator's weights, which training
(training/clothes_generation_dcgan.py) keeps, measures and ships as `model.keras`. The latent
comes either from a seed (standard normal noise, so a seed always gives the same clothes)
or, as upstream did, from a drawing: resized to 10x10, grey, inverted and scaled to
[-1, 1], then flattened into the 100 numbers. Training (training/clothes_generation_dcgan.py)
uses the same latent size, pixel conversion and grid.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from core.drawing import INK_THRESHOLD, ink_from
from core.errors import BadInput

ID = "clothes_generation_dcgan"
LATENT_DIM = 100
DRAWING_SIDE = 10  # the drawing becomes a 10x10 = 100-d latent vector
MAX_SAMPLES = 64
MAX_SEED = 2**32 - 1
ZOOM = 4  # 28-px tiles are shown 4x larger (nearest neighbour, pixels stay crisp)


def noise(seed: int, count: int) -> np.ndarray:
    """(count, 100) float32 standard normal latents; the same seed gives the same ones."""
    return np.random.default_rng(seed).standard_normal((count, LATENT_DIM)).astype(np.float32)


def latent_from_drawing(value) -> np.ndarray | None:
    """A drawing -> (1, 100) latent in [-1, 1], upstream's way; None for an empty canvas.

    The canvas is resized to 10x10 (area average), turned grey and inverted, so ink is
    +1 and paper -1; the 10x10 grid, row by row, is the latent vector.
    """
    ink = ink_from(value)  # 1 = black ink, 0 = paper: grey, inverted
    if ink is None or ink.max() < INK_THRESHOLD:
        return None
    small = Image.fromarray(ink.astype(np.float32), mode="F").resize(
        (DRAWING_SIDE, DRAWING_SIDE), Image.Resampling.BOX
    )
    return (np.clip(np.asarray(small, np.float32), 0, 1) * 2 - 1).reshape(1, LATENT_DIM)


def to_pixels(generated: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 (N, 28, 28) images, white clothes on black."""
    return np.clip(np.rint(generated[..., 0] * 127.5 + 127.5), 0, 255).astype(np.uint8)


def grid(images: np.ndarray, columns: int) -> np.ndarray:
    """uint8 (N, H, W) -> one (rows*H, columns*W) image; missing tiles stay black."""
    count, height, width = images.shape
    rows = -(-count // columns)
    out = np.zeros((rows * height, columns * width), np.uint8)
    for i, image in enumerate(images):
        row, column = divmod(i, columns)
        out[row * height : (row + 1) * height, column * width : (column + 1) * width] = image
    return out


def zoom(image: np.ndarray, factor: int = ZOOM) -> np.ndarray:
    return np.kron(image, np.ones((factor, factor), np.uint8))


def _whole_number(value, name: str, low: int, high: int) -> int:
    """A form value -> int in [low, high], or a gr.Error that says what is allowed."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer() or not low <= number <= high:
        raise BadInput(f"The {name} must be a whole number from {low} to {high:,}.")
    return int(number)


def generators(model):
    """The two request functions, around the generator loaded once."""

    def generate(latents: np.ndarray) -> np.ndarray:
        return to_pixels(np.asarray(model.predict_on_batch(latents)))

    def from_noise(seed, count=16) -> np.ndarray:
        """A seed -> a grid of ``count`` generated clothes (the same seed, the same grid)."""
        seed = _whole_number(seed, "seed", 0, MAX_SEED)
        count = _whole_number(count, "number of samples", 1, MAX_SAMPLES)
        columns = int(np.ceil(np.sqrt(count)))
        return zoom(grid(generate(noise(seed, count)), columns))

    def from_drawing(drawing) -> tuple[np.ndarray, np.ndarray]:
        """A drawing -> the clothes it encodes, and the 10x10 latent it became."""
        latent = latent_from_drawing(drawing)
        if latent is None:
            raise BadInput("Draw something first: the canvas is empty.")
        seen = np.rint((latent.reshape(DRAWING_SIDE, DRAWING_SIDE) + 1) * 127.5).astype(np.uint8)
        return zoom(generate(latent)[0], 8), zoom(seen, 16)

    return from_noise, from_drawing
