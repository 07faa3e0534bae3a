"""The ONE photo -> model input preprocessing of the photo experiments (upload or webcam):
image classification, objects detection and both rock-paper-scissors models.

Any file a visitor may send becomes an upright RGB picture or a clear ``BadInput``: every
size (huge photos are shrunk, tiny ones refused), every mode (RGBA and LA over white, P,
CMYK, L, 1, 16-bit and float greys), EXIF orientation applied, non-images and truncated
files refused. Then `square` makes the network's input: a centre crop (classification,
as ImageNet networks are evaluated) or a plain resize (detection, as CenterNet expects).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import BadInput

MIN_SIDE = 16  # below this a photo holds nothing a network can see
MAX_PIXELS = 100_000_000  # a 10,000 x 10,000 photo is still accepted (shrunk on load)
WORK_SIDE = 2048  # photos are shrunk to this before anything else: enough for 512-px inputs
BLANK_RANGE = 3  # a photo whose values all lie within this range is one flat colour

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
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise BadInput(f"This image file is damaged or truncated ({error}).") from error
    image = _to_rgb(image)
    image.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    extrema = image.getextrema()
    if max(high - low for low, high in extrema) <= BLANK_RANGE:
        raise BadInput("This photo is blank (a single flat colour): there is nothing to see.")
    return image


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
        array = _to_uint8(array.astype(np.float64))
    return Image.fromarray(array)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Stretch any numeric range (16-bit, float) onto 0..255."""
    values = np.nan_to_num(values)
    low, high = float(values.min()), float(values.max())
    if high <= 1.0 and low >= 0.0:  # floats in 0..1
        low, high = 0.0, 1.0
    elif high > 255 and low >= 0:  # 16-bit and wider: keep 0 as black
        low = 0.0
    else:
        low, high = min(low, 0.0), max(high, 255.0)
    scaled = (values - low) / max(high - low, 1e-12) * 255.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> RGB; transparency is laid over white (how a viewer shows it)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return Image.fromarray(_to_uint8(np.asarray(image, dtype=np.float64))).convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, image).convert("RGB")
    return image.convert("RGB")
