"""What a rendered hand stands in: skin tones, backgrounds (patterns, plain walls, crops
of scikit-image's photos), the framing of the hand in the picture and camera-like
augmentation. Shared by the flat (``flat_hands``) and shaded (``shaded_hands``) renders.

``split="test"`` draws from skin tones and background families that ``"train"`` never
uses, so a held-out set measures generalisation to unseen render parameters.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from training.common import fetch

SPLITS = ("train", "test")

# Skin tones (RGB); the test split's tones lie between and beyond the training ones.
TRAIN_TONES = [
    (255, 224, 196),
    (241, 194, 160),
    (224, 172, 105),
    (198, 134, 66),
    (141, 85, 36),
    (92, 58, 38),
    (250, 208, 185),
]
TEST_TONES = [(232, 190, 150), (170, 110, 70), (120, 75, 50), (255, 215, 170)]
TRAIN_BACKGROUNDS = ("solid", "gradient", "stripes", "blocks")
TEST_BACKGROUNDS = ("blobs", "noise")

# Backgrounds of the shaded renders. "white" is the style of upstream's CGI dataset (tfds
# rock_paper_scissors); "wall" a plain, unevenly lit wall; "photo" a crop of one of the
# photos that ship in scikit-image. The test split draws from its own families.
SHADED_TRAIN_BACKGROUNDS = ("white", "white", "wall", "wall", "photo", "photo", "photo",
                            "solid", "gradient", "stripes", "blocks")  # fmt: skip
SHADED_TEST_BACKGROUNDS = ("white", "wall", "blobs", "noise")
SKIMAGE = ("scikit-image", "0.26.0")
SKIMAGE_SHA256 = "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af"
PHOTOS = ("astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "grass.png",
          "gravel.png", "motorcycle_left.png", "rocket.jpg", "page.png", "text.png",
          "hubble_deep_field.jpg", "color.png", "coins.png", "moon.png", "logo.png")  # fmt: skip


def skin_tone(rng: np.random.Generator, split: str, spread: tuple[float, float]) -> np.ndarray:
    """A skin colour (RGB floats) of the split's tones, each channel scaled by ``spread``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    tones = TRAIN_TONES if split == "train" else TEST_TONES
    return np.array(tones[rng.integers(len(tones))], float) * rng.uniform(*spread, 3)


@dataclass(frozen=True)
class Frame:
    """Where the hand lands in the picture: model units -> pixels."""

    centre: np.ndarray
    scale: float
    offset: np.ndarray

    def pixels(self, points: np.ndarray) -> np.ndarray:
        """(x, y) in the picture's pixels of 3-D points in model units."""
        return (points[..., :2] - self.centre) * self.scale + self.offset


def frame(world: np.ndarray, big: int, rng: np.random.Generator, span, slack: float) -> Frame:
    """Scale the hand so it spans ``span`` (a range of fractions) of a ``big``-pixel picture
    and place it anywhere inside it, up to ``slack`` of the free margin off the centre."""
    extent = np.ptp(world[:, :2], axis=0).max() + 0.4
    scale = rng.uniform(*span) * big / extent
    centre = (world[:, :2].max(0) + world[:, :2].min(0)) / 2
    margin = max(big / 2 - scale * extent / 2, 0)
    offset = np.array([big / 2, big / 2]) + rng.uniform(-1, 1, 2) * margin * slack
    return Frame(centre, scale, offset)


def background(kind: str, size: int, rng: np.random.Generator) -> Image.Image:
    colour = rng.integers(0, 256, 3)
    if kind == "solid":
        return Image.new("RGB", (size, size), tuple(int(c) for c in colour))
    if kind == "gradient":
        other = rng.integers(0, 256, 3)
        t = np.linspace(0, 1, size)[:, None, None]
        image = (1 - t) * colour + t * other
        image = np.broadcast_to(image, (size, size, 3))
        if rng.random() < 0.5:
            image = image.transpose(1, 0, 2)
        return Image.fromarray(image.astype(np.uint8))
    if kind == "stripes":
        other = rng.integers(0, 256, 3)
        period = int(rng.integers(6, max(7, size // 4)))
        band = (np.arange(size) // period) % 2
        image = np.where(band[:, None, None] == 1, colour, other)
        image = np.broadcast_to(image, (size, size, 3)).astype(np.uint8)
        image = Image.fromarray(np.ascontiguousarray(image))
        return image.rotate(float(rng.uniform(0, 180)), fillcolor=tuple(int(c) for c in colour))
    image = Image.new("RGB", (size, size), tuple(int(c) for c in colour))
    draw = ImageDraw.Draw(image)
    if kind == "blocks":  # a room: walls, shelves, a door
        for _ in range(int(rng.integers(2, 7))):
            x0, y0 = rng.integers(-size // 4, size, 2)
            w, h = rng.integers(size // 8, size, 2)
            fill = tuple(int(c) for c in rng.integers(0, 256, 3))
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=fill)
        return image
    if kind == "blobs":
        for _ in range(int(rng.integers(3, 12))):
            x0, y0 = rng.integers(-size // 4, size, 2)
            r = int(rng.integers(size // 12, size // 2))
            fill = tuple(int(c) for c in rng.integers(0, 256, 3))
            draw.ellipse([x0, y0, x0 + r, y0 + r], fill=fill)
        return image.filter(ImageFilter.GaussianBlur(size / 60))
    if kind == "noise":
        coarse = rng.integers(0, 256, (6, 6, 3)).astype(np.uint8)
        return Image.fromarray(coarse).resize((size, size), Image.BICUBIC)
    raise ValueError(f"unknown background {kind!r}")


@functools.cache
def photo_backgrounds() -> list[Image.Image]:
    """The colour and grey photos that ship inside scikit-image's wheel (BSD licensed)."""
    wheel = fetch.pypi_package(*SKIMAGE, SKIMAGE_SHA256)
    return [
        Image.open(io.BytesIO(fetch.read_member(wheel, f"skimage/data/{name}"))).convert("RGB")
        for name in PHOTOS
    ]


def shaded_background(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    if kind in ("white", "wall"):
        level = rng.uniform(238, 255) if kind == "white" else rng.uniform(150, 245)
        tint = rng.uniform(0.97, 1.0, 3) if kind == "white" else rng.uniform(0.85, 1.0, 3)
        ramp = np.linspace(-1, 1, size)
        angle = rng.uniform(0, 2 * np.pi)
        field = np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
        light = 1 + field * (rng.uniform(0, 0.04) if kind == "white" else rng.uniform(0, 0.15))
        return np.clip(level * light[..., None] * tint, 0, 255)
    if kind == "photo":
        photos = photo_backgrounds()
        photo = photos[int(rng.integers(len(photos)))]
        side = int(min(photo.size) * rng.uniform(0.3, 1.0))
        x, y = (int(rng.integers(0, d - side + 1)) for d in photo.size)
        crop = photo.crop((x, y, x + side, y + side)).resize((size, size), Image.BILINEAR)
        array = np.asarray(crop, np.float32)
        if rng.random() < 0.5:
            array = array[:, ::-1]
        return array * rng.uniform(0.8, 1.2, 3)
    return np.asarray(background(kind, size, rng), np.float32)


def augment(image: Image.Image, rng: np.random.Generator, mild: bool = False) -> Image.Image:
    """Camera-like changes that keep the label: blur, brightness, contrast, colour cast,
    noise (``mild``: a white background stays white)."""
    array = np.asarray(image, np.float32)
    if rng.random() < 0.3:
        blurred = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
        array = np.asarray(blurred, np.float32)
    mean = array.mean()
    contrast, brightness, cast = ((0.85, 1.1), (0.95, 1.05), (0.97, 1.03)) if mild else (
        (0.7, 1.3), (0.7, 1.3), (0.9, 1.1))  # fmt: skip
    array = (array - mean) * rng.uniform(*contrast) + mean * rng.uniform(*brightness)
    array = array * rng.uniform(*cast, 3)
    array = array + rng.normal(0, rng.uniform(0, 8), array.shape)
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
