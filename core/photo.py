"""The ONE photo -> model input preprocessing of the photo experiments (upload or webcam):
image classification, objects detection and both rock-paper-scissors models.

Any file a visitor may send becomes an upright RGB picture or a clear ``BadInput``: every
size (huge photos are shrunk, tiny ones refused), every mode (RGBA and LA over white, P,
CMYK, L, 1, 16-bit and float greys), EXIF orientation applied, non-images and truncated
files refused. Then `square` makes the network's input: a centre crop (classification,
as ImageNet networks are evaluated) or a plain resize (detection, as CenterNet expects).
"""

from __future__ import annotations

import os
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import BadInput

MIN_SIDE = 16  # below this a photo holds nothing a network can see
MAX_PIXELS = 100_000_000  # a 10,000 x 10,000 photo is still accepted (shrunk on load)
WORK_SIDE = 2048  # photos are shrunk to this before anything else: enough for 512-px inputs
BLANK_RANGE = 3  # a photo whose values all lie within this range is one flat colour
# Bytes one decoded photo may take (Pillow holds 1 byte a pixel for L, P and 1, 2 for
# 16-bit greys, 4 for the rest: RGB is padded to 4): 200 MB is a 50 MP RGB PNG or a
# 100 MP grey one. A JPEG is decoded at a reduced scale (draft), so it counts that size.
MAX_DECODED_BYTES = 200 * 1024 * 1024
# Decoded bytes of all photos being opened at once, all requests together: one more
# waits until the others are shrunk (HUB_DECODE_BUDGET, MB). At least one photo always
# fits, so a photo under MAX_DECODED_BYTES never waits for ever.
DECODE_BUDGET = int(os.environ.get("HUB_DECODE_BUDGET", "400")) * 1024 * 1024

PhotoValue = str | Path | Image.Image | np.ndarray | None


def open_photo(value: PhotoValue) -> Image.Image:
    """A file path, PIL image or array -> an upright RGB image at most WORK_SIDE px wide
    or tall. Raises BadInput (with what to do) for anything that is not a usable photo."""
    if value is None:
        raise BadInput("No photo: upload one, take a webcam snapshot or pick an example.")
    image = _open(value)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadInput(
            f"This photo is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} "
            "megapixels. Send a smaller one."
        )
    if min(width, height) < MIN_SIDE:
        raise BadInput(f"This image is {width}x{height} pixels: too small to recognise anything.")
    image.draft("RGB", (WORK_SIDE, WORK_SIDE))  # JPEG: decode at a reduced scale, cheaply
    cost = decoded_bytes(image)
    if cost > MAX_DECODED_BYTES:
        raise BadInput(
            f"This photo ({width}x{height} pixels, {image.mode}) would take {cost >> 20} MB "
            f"once decoded; the limit is {MAX_DECODED_BYTES >> 20} MB. Send a smaller one "
            "(or a JPEG)."
        )
    with _DECODING.holding(cost):
        try:
            image.load()
            # Shrunk in its own mode first (16-bit greys too), then turned and converted:
            # no full-size copy beyond the decoded picture (and Pillow's one for alpha).
            image = ImageOps.exif_transpose(_shrunk(image))
        except (OSError, SyntaxError, ValueError) as error:
            raise BadInput(f"This image file is damaged or truncated ({error}).") from error
    image = _to_rgb(image)
    extrema = image.getextrema()
    if max(high - low for low, high in extrema) <= BLANK_RANGE:
        raise BadInput("This photo is blank (a single flat colour): there is nothing to see.")
    return image


def _shrunk(image: Image.Image) -> Image.Image:
    """``image`` at most WORK_SIDE px wide or tall, aspect ratio kept (a new image; the
    same one when it is small enough)."""
    scale = WORK_SIDE / max(image.size)
    if scale >= 1:
        return image
    size = tuple(max(1, round(side * scale)) for side in image.size)
    # Pillow's reduce (a cheap first step) has no 16-bit grey: those are resized directly.
    gap = None if image.mode.startswith("I;16") else 2.0
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=gap)


def decoded_bytes(image: Image.Image) -> int:
    """The bytes Pillow holds for ``image`` once loaded, read from its header (and draft)."""
    width, height = image.size
    if image.mode in ("1", "L", "P"):
        return width * height
    if image.mode.startswith("I;16"):
        return 2 * width * height
    return 4 * width * height


class DecodeBudget:
    """Bytes of pictures being decoded at once, all threads together: ``holding(n)``
    waits until ``n`` more fit under ``limit`` (or nothing else is held)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.held = 0
        self.changed = threading.Condition()

    @contextmanager
    def holding(self, size: int):
        with self.changed:
            self.changed.wait_for(lambda: self.held == 0 or self.held + size <= self.limit)
            self.held += size
        try:
            yield
        finally:
            with self.changed:
                self.held -= size
                self.changed.notify_all()


_DECODING = DecodeBudget(DECODE_BUDGET)


def square(image: Image.Image, size: int, crop: bool) -> np.ndarray:
    """RGB image -> (size, size, 3) uint8: a centre crop of the shorter side, or a
    resize of the whole photo (aspect ratio not kept)."""
    if crop:
        image = ImageOps.fit(image, (size, size), Image.Resampling.BILINEAR)
    else:
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def warm_up_photo() -> np.ndarray:
    """A fixed noise picture to run a network once at start-up (its first call is slow)."""
    return np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def _open(value: PhotoValue) -> Image.Image:
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, np.ndarray):
        return _from_array(value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(value)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise BadInput(
            f"This photo is too large (limit {MAX_PIXELS // 1_000_000} megapixels)."
        ) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        name = Path(str(value)).name
        raise BadInput(f"`{name}` is not an image Pillow can read (JPEG, PNG, WebP...).") from error


def _from_array(array: np.ndarray) -> Image.Image:
    """(H, W), (H, W, 3) or (H, W, 4) array of any numeric dtype -> PIL image."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise BadInput(f"An image array must be (H, W), (H, W, 3) or (H, W, 4), not {array.shape}.")
    if array.dtype != np.uint8:
        array = _to_uint8(array)
    return Image.fromarray(array)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Stretch any numeric range (16-bit, float) onto 0..255, in one float32 copy."""
    values = np.nan_to_num(values.astype(np.float32), copy=False)
    low, high = float(values.min()), float(values.max())
    if high <= 1.0 and low >= 0.0:  # floats in 0..1
        low, high = 0.0, 1.0
    elif high > 255 and low >= 0:  # 16-bit and wider: keep 0 as black
        low = 0.0
    else:
        low, high = min(low, 0.0), max(high, 255.0)
    values -= low
    values *= 255.0 / max(high - low, 1e-12)
    np.rint(values, out=values)
    return np.clip(values, 0, 255, out=values).astype(np.uint8)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> RGB; transparency is laid over white (how a viewer shows it)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return Image.fromarray(_to_uint8(np.asarray(image))).convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, image).convert("RGB")
    return image.convert("RGB")
