"""Procedural rock / paper / scissors hands: a posed 3-D hand skeleton and its rendering.

No photo dataset of hands exists in the package registries, so both rock-paper-scissors
experiments learn from hands made here, the way upstream's dataset was CGI:

- ``pose(label, rng)`` gives the 21 landmarks of a hand (MediaPipe's order: wrist, then
  thumb, index, middle, ring, pinky, four points each) posed as rock, paper or scissors
  with random joint angles, finger spread, hand proportions and a 3-D rotation;
- ``render(label, rng, size, split)`` draws that hand with a forearm (sometimes a
  sleeve), finger and palm thickness, a skin tone, shading, a light direction and a
  background, and also returns the landmarks in the image's pixels (x, y, and z in the
  same scale, relative to the wrist, smaller = nearer the camera, as MediaPipe's are).

``split="test"`` draws from skin tones and background families that ``"train"`` never
uses, so a held-out set measures generalisation to unseen render parameters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

LABELS = ["rock", "paper", "scissors"]
FINGERS = [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20)]

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

# The hand at rest, right hand, palm towards the camera, fingers up (-y), thumb at +x.
# Units: wrist to middle knuckle = 1.
_KNUCKLES = np.array(
    [[0.30, -0.93, 0.0], [0.05, -1.0, 0.0], [-0.18, -0.94, 0.0], [-0.38, -0.82, 0.0]]
)
_SEGMENTS = np.array(
    [[0.44, 0.27, 0.21], [0.50, 0.30, 0.23], [0.46, 0.29, 0.22], [0.36, 0.21, 0.19]]
)
_THUMB_BASE = np.array([0.22, -0.22, -0.05])
_THUMB_SEGMENTS = np.array([0.36, 0.30, 0.25])


def _rotation(roll: float, yaw: float, pitch: float) -> np.ndarray:
    """Rz(roll) @ Ry(yaw) @ Rx(pitch), angles in radians."""
    cr, sr, cy, sy, cp, sp = (np.cos(roll), np.sin(roll), np.cos(yaw), np.sin(yaw),
                              np.cos(pitch), np.sin(pitch))  # fmt: skip
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return rz @ ry @ rx


def _chain(base: np.ndarray, up: np.ndarray, normal: np.ndarray, lengths, flex) -> list:
    """Joint positions of one finger: each joint bends the finger towards the palm."""
    points, angle, at = [], 0.0, base
    for length, bend in zip(lengths, flex, strict=True):
        angle += bend
        at = at + length * (np.cos(angle) * up + np.sin(angle) * normal)
        points.append(at)
    return points


def _finger_flex(rng: np.random.Generator, extended: bool) -> np.ndarray:
    if extended:
        return np.radians(rng.uniform([-5, 0, 0], [18, 15, 12]))
    return np.radians(rng.uniform([65, 85, 35], [100, 115, 75]))


def hand_pose(label: str, rng: np.random.Generator) -> np.ndarray:
    """21 3-D landmarks of a canonical (unrotated) hand posed as ``label``."""
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    normal = np.array([0.0, 0.0, -1.0])  # the palm faces the camera (-z)
    extended = {"rock": [False] * 4, "paper": [True] * 4, "scissors": [True, True, False, False]}
    spread = rng.uniform(0.02, 0.22) if label == "paper" else rng.uniform(0.0, 0.08)
    if label == "scissors":
        v_angle = rng.uniform(0.12, 0.35)  # the V between index and middle
        splay = [v_angle / 2, -v_angle / 2, -0.1, -0.2]
    else:
        splay = [spread * 1.2, spread * 0.2, -spread * 0.8, -spread * 1.8]
    scale = rng.uniform(0.9, 1.1, size=3) * np.array([rng.uniform(0.9, 1.1), 1.0, 1.0])
    points = [np.zeros(3)] + [None] * 20
    for f, (joints, knuckle, lengths) in enumerate(
        zip(FINGERS[1:], _KNUCKLES, _SEGMENTS, strict=True)
    ):
        up = np.array([np.sin(splay[f]), -np.cos(splay[f]), 0.0])
        base = knuckle * scale + rng.normal(0, 0.015, 3)
        lengths = lengths * rng.uniform(0.9, 1.12)
        flex = _finger_flex(rng, extended[label][f])
        points[joints[0]] = base
        for index, point in zip(joints[1:], _chain(base, up, normal, lengths, flex), strict=True):
            points[index] = point
    # The thumb: out to the side for paper, folded across the curled fingers otherwise.
    thumb_base = _THUMB_BASE * scale
    points[1] = thumb_base
    if label == "paper":
        direction = np.radians(rng.uniform(25, 60))  # away from the index finger
        up = np.array([np.sin(direction), -np.cos(direction), -rng.uniform(0.0, 0.3)])
        flex = np.radians(rng.uniform([0, 0, 0], [15, 20, 20]))
    else:
        direction = np.radians(rng.uniform(-20, 15))
        up = np.array([np.sin(direction), -np.cos(direction), -rng.uniform(0.5, 0.9)])
        flex = np.radians(rng.uniform([10, 30, 20], [35, 60, 50]))
    up /= np.linalg.norm(up)
    thumb_normal = np.cross(up, np.array([0.0, 0.0, 1.0]))
    thumb_normal = thumb_normal / (np.linalg.norm(thumb_normal) + 1e-9)
    for index, point in zip(
        (2, 3, 4),
        _chain(thumb_base, up, thumb_normal, _THUMB_SEGMENTS * rng.uniform(0.9, 1.1), flex),
        strict=True,
    ):
        points[index] = point
    return np.array(points)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A camera's view of the hand: any in-plane roll, turned and tilted, sometimes its back."""
    roll = rng.uniform(-np.pi, np.pi) if rng.random() < 0.4 else rng.normal(0, 0.5)
    yaw = rng.uniform(-1.1, 1.1) + (np.pi if rng.random() < 0.3 else 0.0)
    pitch = rng.uniform(-0.8, 0.8)
    return _rotation(roll, yaw, pitch)


# Named views of the hand, as a camera sees it: (yaw, pitch) at their centre, in degrees,
# and how far either may stray. "knuckles": the hand points at the camera, palm down, the
# way a fist is shown to a laptop; "thumb side" / "pinky side": the hand's edge towards
# the camera; "tilted": turned and tipped halfway out of the picture's plane. Any in-plane
# roll. Held-out views use angles training never sees: ``split="train"`` draws the
# offsets from the centre in the first half of every 10-degree band, "test" the second.
VIEWS = {
    "palm": ((0, 0), 30),
    "back": ((180, 0), 30),
    "knuckles": ((0, 80), 25),
    "thumb side": ((80, 0), 25),
    "pinky side": ((-80, 0), 25),
    "tilted": ((45, 45), 25),
}


def view_angles(view: str, rng: np.random.Generator, split: str = "train") -> np.ndarray:
    """(roll, yaw, pitch) in degrees of a camera's view from one of VIEWS: any roll; yaw and
    pitch stray from the view's centre by offsets from the split's half of each band."""
    (yaw, pitch), stray = VIEWS[view]
    half = 0 if split == "train" else 5
    offsets = rng.integers(-stray // 10, stray // 10, 2) * 10 + half + rng.uniform(0, 5, 2)
    signs = rng.choice([-1, 1], 2) if view == "tilted" else np.ones(2)  # tipped any way
    roll = rng.uniform(-180, 180) if rng.random() < 0.5 else rng.normal(0, 30)
    return np.array([roll, *(signs * (np.array([yaw, pitch]) + offsets))])


def view_rotation(view: str, rng: np.random.Generator, split: str = "train") -> np.ndarray:
    """A camera's view of the hand from one of VIEWS (angles from ``view_angles``)."""
    return _rotation(*np.radians(view_angles(view, rng, split)))


def pose(label: str, rng: np.random.Generator, view: str | None = None,
         split: str = "train") -> np.ndarray:  # fmt: skip
    """21 rotated 3-D landmarks (wrist at the origin, wrist to middle knuckle about 1),
    seen from ``view`` (one of VIEWS) or from a random angle when None."""
    canonical = hand_pose(label, rng)
    rotation = random_rotation(rng) if view is None else view_rotation(view, rng, split)
    return canonical @ rotation.T


# ---------------------------------------------------------------- drawing


def _background(kind: str, size: int, rng: np.random.Generator) -> Image.Image:
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


def _shade(colour, factor: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)


def _capsule(draw: ImageDraw.ImageDraw, a, b, radius: float, fill) -> None:
    draw.line([tuple(a), tuple(b)], fill=fill, width=max(1, int(round(2 * radius))))
    for x, y in (a, b):
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def render(
    label: str, rng: np.random.Generator, size: int = 96, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """An RGB uint8 (size, size, 3) picture of a ``label`` hand and its 21 landmarks.

    The landmarks are (x, y) in the picture's pixels and z in the same scale relative
    to the wrist (smaller = nearer), MediaPipe's convention.
    """
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}")
    big = 2 * size  # draw at twice the size, then downsample: smooth edges
    tones = TRAIN_TONES if split == "train" else TEST_TONES
    skin = np.array(tones[rng.integers(len(tones))], float) * rng.uniform(0.85, 1.1, 3)
    image = _background(
        rng.choice(TRAIN_BACKGROUNDS if split == "train" else TEST_BACKGROUNDS), big, rng
    )
    rotation = random_rotation(rng)
    canonical = hand_pose(label, rng)
    world = canonical @ rotation.T
    # The forearm leaves the wrist away from the fingers; the palm's sides at the wrist.
    arm_length = rng.uniform(1.5, 3.5)
    arm_end = np.array([0.0, arm_length, 0.1]) @ rotation.T
    wrist_sides = np.array([[0.32, 0.0, 0.0], [-0.36, 0.0, 0.0]]) @ rotation.T
    # Frame the hand: scale so it spans 35-80% of the picture, anywhere inside it.
    extent = np.ptp(world[:, :2], axis=0).max() + 0.4
    scale = rng.uniform(0.35, 0.8) * big / extent
    centre = (world[:, :2].max(0) + world[:, :2].min(0)) / 2
    margin = big / 2 - scale * extent / 2
    offset = np.array([big / 2, big / 2]) + rng.uniform(-1, 1, 2) * max(margin, 0) * 0.8
    to_px = lambda p: (p[..., :2] - centre) * scale + offset  # noqa: E731

    finger_r = rng.uniform(0.075, 0.11) * scale
    thumb_r = finger_r * rng.uniform(1.1, 1.3)
    arm_r = rng.uniform(0.28, 0.4) * scale
    light = rng.uniform(0.85, 1.15)
    outline = rng.uniform(0.55, 0.8)
    sleeve = rng.integers(0, 256, 3) if rng.random() < 0.4 else None

    # Parts, drawn far to near (larger z is farther from the camera).
    parts = []  # (depth, kind, points, radius)
    parts.append((0.05 + arm_end[2] / 2, "arm", [np.zeros(3), arm_end], arm_r))
    palm = [wrist_sides[0], world[1], world[5], world[9], world[13], world[17], wrist_sides[1]]
    parts.append((float(np.mean([p[2] for p in palm])), "palm", palm, finger_r))
    for joints in FINGERS:
        chain = [world[0] if joints[0] == 1 else None] + [world[j] for j in joints]
        chain = [p for p in chain if p is not None]
        radius = thumb_r if joints[0] == 1 else finger_r
        for a, b in zip(chain[:-1], chain[1:], strict=True):
            taper = 0.9 if b is chain[-1] else 1.0
            parts.append(((a[2] + b[2]) / 2 - 0.01, "bone", [a, b], radius * taper))
    parts.sort(key=lambda part: -part[0])

    draw = ImageDraw.Draw(image)
    zs = world[:, 2]
    span = max(np.ptp(zs), 1e-6)
    for depth, kind, points, radius in parts:
        nearness = float(np.clip((zs.max() - depth) / span, 0, 1))
        colour = _shade(skin, light * (0.8 + 0.3 * nearness))
        dark = _shade(skin, light * outline)
        px = [to_px(p) for p in points]
        if kind == "arm":
            arm_colour = _shade(sleeve, light) if sleeve is not None else colour
            _capsule(draw, px[0], px[1], radius + 2, _shade(arm_colour, outline))
            _capsule(draw, px[0], px[1], radius, arm_colour)
        elif kind == "palm":
            polygon = [tuple(p) for p in px]
            for a, b in zip(px, px[1:] + px[:1], strict=True):
                _capsule(draw, a, b, radius + 2, dark)
            draw.polygon(polygon, fill=dark)
            shrunk = [tuple(np.mean(px, 0) + (p - np.mean(px, 0)) * 0.97) for p in px]
            for a, b in zip(px, px[1:] + px[:1], strict=True):
                _capsule(draw, a, b, radius, colour)
            draw.polygon(shrunk, fill=colour)
        else:
            _capsule(draw, px[0], px[1], radius + 2, dark)
            _capsule(draw, px[0], px[1], radius, colour)
            shine = np.array([-0.35, -0.35]) * radius
            _capsule(draw, px[0] + shine, px[1] + shine, radius * 0.35, _shade(colour, 1.12))

    image = augment(image, rng).resize((size, size), Image.LANCZOS)
    landmarks = np.concatenate([to_px(world) / 2, (world[:, 2:] - world[0, 2]) * scale / 2], 1)
    return np.asarray(image), landmarks.astype(np.float32)


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


def dataset(
    count: int, size: int, split: str, seed: int, style: str = "flat", view: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` renders (balanced labels): images uint8 (N, size, size, 3), labels, landmarks.
    ``style``: "flat" (``render``), "shaded" (``render_shaded``, any background) or
    "shaded-white" (``render_shaded`` on white, upstream's CGI style); shaded hands are
    seen from ``view`` (one of VIEWS) when given."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(LABELS)
    rng.shuffle(labels)
    images = np.empty((count, size, size, 3), np.uint8)
    landmarks = np.empty((count, 21, 3), np.float32)
    for i, label in enumerate(labels):
        if style == "flat":
            images[i], landmarks[i] = render(LABELS[label], rng, size, split)
        else:
            background = "white" if style == "shaded-white" else None
            images[i], landmarks[i] = render_shaded(
                LABELS[label], rng, size, split, background, view
            )
    return images, labels.astype(np.int64), landmarks


# ---------------------------------------------------------------- shaded 3-D renders

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
SLEEVES = ((235, 235, 230), (40, 40, 45), (30, 60, 120), (150, 30, 30), (90, 90, 95))
HAIR = ((30, 25, 20), (80, 55, 35), (140, 110, 70), (200, 200, 200), (20, 20, 20))


def photo_backgrounds() -> list[Image.Image]:
    """The colour and grey photos that ship inside scikit-image's wheel (BSD licensed)."""
    global _PHOTOS
    if _PHOTOS is None:
        import io

        from training import common

        wheel = common.pypi_package(*SKIMAGE, SKIMAGE_SHA256)
        _PHOTOS = [
            Image.open(io.BytesIO(common.read_member(wheel, f"skimage/data/{name}"))).convert("RGB")
            for name in PHOTOS
        ]
    return _PHOTOS


_PHOTOS = None


def _shaded_background(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
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
    return np.asarray(_background(kind, size, rng), np.float32)


def _raycast(capsules, size: int):
    """Depth, surface normal and material of the nearest capsule at each pixel (orthographic
    camera looking along +z). A capsule: (end a, end b, radius, material), in pixels."""
    depth = np.full((size, size), np.inf)
    normal = np.zeros((size, size, 3))
    material = np.full((size, size), -1)
    for a, b, radius, kind in capsules:
        lo = np.floor(np.minimum(a[:2], b[:2]) - radius).astype(int).clip(0, size)
        hi = np.ceil(np.maximum(a[:2], b[:2]) + radius + 1).astype(int).clip(0, size)
        if (hi <= lo).any():
            continue
        ys, xs = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]] + 0.5
        d = b - a
        length = d[0] ** 2 + d[1] ** 2
        s = ((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length if length > 1e-9 else 0 * xs
        s = np.clip(s, 0, 1)
        ox, oy = xs - (a[0] + s * d[0]), ys - (a[1] + s * d[1])
        h2 = radius**2 - ox**2 - oy**2
        h = np.sqrt(np.maximum(h2, 0))
        z = a[2] + s * d[2] - h
        box = (slice(lo[1], hi[1]), slice(lo[0], hi[0]))
        closer = (h2 > 0) & (z < depth[box])
        depth[box][closer] = z[closer]
        normal[box][closer] = np.stack([ox, oy, -h], -1)[closer] / radius
        material[box][closer] = kind
    return depth, normal, material


def render_shaded(
    label: str,
    rng: np.random.Generator,
    size: int = 96,
    split: str = "train",
    background: str | None = None,
    view: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A 3-D shaded ``label`` hand (ray-cast capsules: fingers, palm, forearm; diffuse
    and specular light, contact shadows, a cast shadow) over ``background`` (random from
    the split's families when None), sometimes with a person behind it, seen from ``view``
    (one of VIEWS; a random angle when None). Returns the RGB uint8 (size, size, 3)
    picture and the 21 landmarks as ``render`` does."""
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}")
    big = 2 * size
    tones = TRAIN_TONES if split == "train" else TEST_TONES
    skin = np.array(tones[rng.integers(len(tones))], float) * rng.uniform(0.88, 1.08, 3)
    families = SHADED_TRAIN_BACKGROUNDS if split == "train" else SHADED_TEST_BACKGROUNDS
    kind = background or str(rng.choice(families))
    image = _shaded_background(kind, big, rng)

    rotation = random_rotation(rng) if view is None else view_rotation(view, rng, split)
    world = hand_pose(label, rng) @ rotation.T
    arm_end = np.array([0.0, rng.uniform(1.5, 4.0), 0.15]) @ rotation.T
    sides = np.array([[0.32, 0.05, 0.0], [-0.36, 0.05, 0.0], [0.0, 0.1, 0.0]]) @ rotation.T
    extent = np.ptp(world[:, :2], axis=0).max() + 0.4
    scale = rng.uniform(0.3, 0.85) * big / extent
    centre = (world[:, :2].max(0) + world[:, :2].min(0)) / 2
    margin = max(big / 2 - scale * extent / 2, 0)
    offset = np.array([big / 2, big / 2]) + rng.uniform(-1, 1, 2) * margin * 0.9

    def px(p):  # model units -> pixels (x, y) and depth in pixels
        p = np.asarray(p, float)
        return np.concatenate([(p[..., :2] - centre) * scale + offset, p[..., 2:] * scale], -1)

    finger_r = rng.uniform(0.085, 0.12) * scale
    palm_r = rng.uniform(0.13, 0.17) * scale
    capsules = [(px(sides[2]), px(arm_end), rng.uniform(0.3, 0.4) * scale, 1)]
    for base, top in ((sides[0], world[5]), ((sides[0] + sides[2]) / 2, world[5]),
                      (sides[2], world[9]), (sides[2], (world[9] + world[13]) / 2),
                      ((sides[1] + sides[2]) / 2, world[13]), (sides[1], world[17])):  # fmt: skip
        capsules.append((px(base), px(top), palm_r, 0))
    capsules.append((px(sides[0]), px(world[2]), finger_r * 1.5, 0))  # the thumb's ball
    for joints in FINGERS:
        chain = ([1] if joints[0] == 1 else []) + list(joints)
        radius = finger_r * (1.15 if joints[0] == 1 else rng.uniform(0.9, 1.05))
        for i, (a, b) in enumerate(zip(chain[:-1], chain[1:], strict=True)):
            taper = 1.0 - 0.06 * i
            capsules.append((px(world[a]), px(world[b]), radius * taper, 0))
    # Sometimes a person behind the hand (as in webcam pictures): a head and shoulders.
    if kind != "white" and rng.random() < 0.4:
        head_r = scale * rng.uniform(0.45, 0.8)
        head = np.array([*rng.uniform(0.2, 0.8, 2) * big, scale * 3.0])
        face = (head - [0, head_r * 0.25, 0], head + [0, head_r * 0.25, 0], head_r, 2)
        hair = (head - [0, head_r * 0.45, -head_r * 0.2], head - [0, head_r * 0.2, -head_r * 0.3],
                head_r * 1.02, 3)  # fmt: skip
        body = (head + [-head_r, head_r * 3.2, head_r], head + [head_r, head_r * 3.2, head_r],
                head_r * 1.6, 4)  # fmt: skip
        capsules += [face, hair, body]
    depth, normal, material = _raycast(capsules, big)

    colours = np.zeros((5, 3))
    colours[0] = skin
    sleeve = rng.random() < 0.45
    colours[1] = (
        np.array(SLEEVES[rng.integers(len(SLEEVES))]) * rng.uniform(0.8, 1.1) if sleeve else skin
    )
    colours[2] = np.array(tones[rng.integers(len(tones))], float)
    colours[3] = HAIR[rng.integers(len(HAIR))]
    colours[4] = rng.integers(0, 256, 3)
    light = np.array([rng.uniform(-0.9, 0.9), rng.uniform(-0.9, 0.5), -1.0])
    light /= np.linalg.norm(light)
    ambient = rng.uniform(0.3, 0.55)
    diffuse = np.clip(normal @ light, 0, 1)
    half = light + np.array([0, 0, -1.0])
    half /= np.linalg.norm(half)
    specular = np.clip(normal @ half, 0, 1) ** rng.uniform(8, 30) * rng.uniform(0, 0.35)
    lit = ambient + (1 - ambient) * diffuse
    warm = np.array([1.0, 0.9, 0.85])  # shadowed skin is redder
    surface = colours[np.maximum(material, 0)] * (
        lit[..., None] * (warm + (1 - warm) * lit[..., None])
    )
    surface = surface + 255 * specular[..., None]
    # Contact shadows where one part passes in front of another (between fingers).
    finite = np.where(np.isfinite(depth), depth, 1e6)
    step = np.zeros_like(finite)
    for axis in (0, 1):
        for shift in (1, -1):
            step = np.maximum(step, np.roll(finite, shift, axis) - finite)
    surface *= np.where(step > finger_r * 0.6, rng.uniform(0.55, 0.8), 1.0)[..., None]
    # A soft cast shadow on the background.
    hand = material >= 0
    shadow_shift = (-light[:2] / -light[2] * scale * rng.uniform(0.05, 0.25)).astype(int)
    shadow = np.roll(hand.astype(np.float32), tuple(shadow_shift[::-1]), (0, 1))
    shadow = (
        np.asarray(
            Image.fromarray((shadow * 255).astype(np.uint8)).filter(
                ImageFilter.GaussianBlur(big / 40)
            ),
            np.float32,
        )
        / 255
    )
    image = image * (1 - rng.uniform(0.1, 0.4) * shadow[..., None])
    image = np.where(hand[..., None], surface, image)
    texture = rng.normal(0, rng.uniform(0, 4), (big, big, 1))
    picture = Image.fromarray(np.clip(image + texture, 0, 255).astype(np.uint8))
    picture = augment(picture, rng, mild=kind == "white").resize((size, size), Image.LANCZOS)
    landmarks = px(world) / 2
    landmarks[:, 2] -= landmarks[0, 2]
    return np.asarray(picture), landmarks.astype(np.float32)


# ---------------------------------------------------------------- MediaPipe's landmarker

MEDIAPIPE = ("mediapipe", "0.10.14")
MEDIAPIPE_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"
TFLITE = {
    "hand_landmark_full.tflite": "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
    "palm_detection_full.tflite": "mediapipe/modules/palm_detection/palm_detection_full.tflite",
}


def fetch_landmarker(folder: Path):
    """Copy MediaPipe's two TFLite files out of its wheel into a weights folder (both
    models serve with them: the CNN crops to the hand, the transfer model reads it)."""
    from core.hand_landmarks import HandLandmarker
    from training import common

    wheel = common.pypi_package(*MEDIAPIPE, MEDIAPIPE_SHA256)
    for name, member in TFLITE.items():
        (folder / name).write_bytes(common.read_member(wheel, member))
    return HandLandmarker(folder)


# ---------------------------------------------------------------- datasets, cached


def code_hash(*files) -> str:
    """8 hex digits of the files' sha256, part of every cache name: a change to the
    renderer (or to the CNN's crop) renders (crops) again instead of reading stale files."""
    import hashlib

    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()[:8]


def cached_dataset(
    count: int, size: int, split: str, seed: int, workers: int = 2, style: str = "flat"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dataset(...)`` rendered in ``workers`` processes once, then read from the cache."""
    from concurrent.futures import ProcessPoolExecutor

    from training.common import CACHE

    name = f"{split}-{count}-{size}-{seed}-{style}-{code_hash(__file__)}"
    path = CACHE / "rps" / f"{name}.npz"
    if path.is_file():
        data = np.load(path)
        return data["images"], data["labels"], data["landmarks"]
    chunks = [count // workers + (i < count % workers) for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        seeds = [seed * 1000 + i for i in range(workers)]
        parts = list(
            pool.map(dataset, chunks, [size] * workers, [split] * workers, seeds, [style] * workers)
        )
    images, labels, landmarks = (np.concatenate(p) for p in zip(*parts, strict=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, images=images, labels=labels, landmarks=landmarks)
    return images, labels, landmarks


def cnn_inputs(images: np.ndarray, landmarker, size: int, cache_name: str | None = None):
    """The CNN's inputs for rendered pictures, through the served ``cnn_input`` (the hand the
    landmarker finds, or the central square): uint8 (N, size, size, 3) and whether a hand
    was found. Cached under ``cache_name`` (the landmarker costs about 50 ms a picture)."""
    import core.gestures
    import core.hand_landmarks
    from training.common import CACHE

    code = code_hash(__file__, core.hand_landmarks.__file__, core.gestures.__file__)
    path = CACHE / "rps" / f"crops-{cache_name}-{size}-{code}.npz"
    if cache_name and path.is_file():
        data = np.load(path)
        return data["inputs"], data["found"]
    found = []

    def landmarks_seen(image):  # the landmarker, noting whether it found a hand
        hand = landmarker(image)
        found.append(hand is not None)
        return hand

    inputs = np.stack(
        [core.gestures.cnn_input(image, landmarks_seen, size) for image in images]
    ).astype(np.uint8)
    found = np.array(found)
    if cache_name:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, inputs=inputs, found=found)
    return inputs, found


# ---------------------------------------------------------------- evaluation, weights folder


def save(
    experiment_id: str,
    model,
    history: dict,
    probabilities: np.ndarray,
    y_test: np.ndarray,
    train_size: int,
    args,
    upstream: float,
    title: str,
    extra_metrics: dict | None = None,
    card_notes: str = "",
) -> Path:
    """Measure on the held-out set and write weights/<id>/ (model, labels, metrics, card)."""
    import json

    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import EvalResult

    from training import common

    folder = common.weights_folder(experiment_id, args.out)
    # A row of zeros means "no hand seen": always wrong, left out of the confusion matrix.
    predicted = np.where(probabilities.sum(1) > 0, np.argmax(probabilities, axis=1), -1)
    confusion = np.zeros((3, 3), int)
    seen = predicted >= 0
    np.add.at(confusion, (y_test[seen], predicted[seen]), 1)
    metrics = {
        "test_accuracy": round(float(np.mean(predicted == y_test)), 4),
        "per_class_accuracy": {
            name: round(float(confusion[i, i] / max(np.sum(y_test == i), 1)), 4)
            for i, name in enumerate(LABELS)
        },
        "confusion_matrix": confusion.tolist(),
        "dataset": "rendered hands (training/rock_paper_scissors.py)"
        if args.source == "registry"
        else "tfds rock_paper_scissors (CGI)",
        "test_set": "held-out renders: unseen skin tones and background families",
        "train_size": int(train_size),
        "test_size": int(len(y_test)),
        "params": int(model.count_params()),
        "epochs": int(args.epochs),
        "upstream_test_accuracy": upstream,
        "upstream_note": "upstream: tfds rock_paper_scissors CGI test set, 372 images",
        **(extra_metrics or {}),
    }
    common.save_for_serving(model, folder / "model.keras")
    (folder / "labels.json").write_text(json.dumps(LABELS) + "\n")
    common.save_metrics(folder, metrics)
    common.save_plots(folder, history, confusion, LABELS)
    card = ModelCardData(
        license="apache-2.0",
        library_name="keras",
        tags=["image-classification", "rock-paper-scissors", "hands", "gradio"],
        model_name=experiment_id,
        eval_results=[
            EvalResult(
                task_type="image-classification",
                dataset_type="synthetic-hands",
                dataset_name=f"rendered hands, {len(y_test):,} held out",
                metric_type="accuracy",
                metric_value=metrics["test_accuracy"],
            )
        ],
    )
    body = f"""
# {title}

Plays rock-paper-scissors against a webcam: rock, paper or scissors from a photo of a
hand. Re-creation of upstream's experiment (trekhleb/machine-learning-experiments).

| | ours | upstream |
|---|---|---|
| data | {metrics["dataset"]} | tfds CGI hands |
| train / held out | {train_size:,} / {len(y_test):,} | 2,520 / 372 |
| test accuracy | {metrics["test_accuracy"]} | {upstream} |
| parameters | {metrics["params"]:,} | |

{card_notes}

The held-out renders use skin tones and background families that training never saw.
They are still renders, not photos; the only real hand photos found in the package
registries are measured below.

![training curves](training_curves.png) ![confusion matrix](confusion_matrix.png)
"""
    common.write_model_card(folder, card, body)
    return folder


# The tabs' example pictures follow a rule fixed before any model answered them: for each
# move, the shaded render of a hand seen from its palm side on a plain wall, with the test
# split's skin tones, drawn from EXAMPLE_SEED. No training or test set draws from that seed
# (tests check that no example is close to a test picture). Write them with
# `write_examples(ui.shared.EXAMPLES / "rock_paper_scissors")`.
EXAMPLE_SEED = 2031


def write_examples(folder, size: int = 300) -> list[Path]:
    """One example PNG per move, by the rule above; whatever the models answer to them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for label in LABELS:
        rng = np.random.default_rng(EXAMPLE_SEED)
        image, _ = render_shaded(label, rng, size, "test", "wall", "palm")
        paths.append(folder / f"{label}.png")
        Image.fromarray(image).save(paths[-1], optimize=True)
    return paths


# ---------------------------------------------------------------- real photos (a few)

# The only real hand photos found in the registries: npm `fingerpose` 0.1.0 (MIT) ships a
# photo of a fist and its demo GIF, whose frames show a man making a V (its classifier's
# ✌️ overlay in the corner; frames at the start and end of each V run are transitions).
FINGERPOSE_NPM = "fingerpose@0.1.0"
FINGERPOSE_SHA256 = "0d771feb4a95846a07fa5e6c43f5438e462e2a4676bc2f14a65e3a797787f056"
SCISSORS_FRAMES = [*range(3, 12), *range(26, 36)]
OVERLAY_X = 275  # the GIF's emoji overlay sits right of this column: cropped off


def real_photos() -> tuple[list[np.ndarray], np.ndarray]:
    """20 real photos: fingerpose's fist (rock) and 19 GIF frames of a V (scissors)."""
    import io

    from training import common

    tgz = common.npm_package(FINGERPOSE_NPM, FINGERPOSE_SHA256)
    fist = Image.open(io.BytesIO(common.read_member(tgz, "package/assets/fullcurl.jpg")))
    photos = [np.asarray(fist.convert("RGB"))]
    gif = Image.open(io.BytesIO(common.read_member(tgz, "package/assets/fingers-lq.gif")))
    for frame in SCISSORS_FRAMES:
        gif.seek(frame)
        photos.append(np.asarray(gif.convert("RGB"))[:, :OVERLAY_X])
    labels = np.array([LABELS.index("rock")] + [LABELS.index("scissors")] * len(SCISSORS_FRAMES))
    return photos, labels


def add_real_photo_metrics(folder: Path, classify) -> dict:
    """Measure ``classify`` (a picture -> {label: p}; raising for "no hand") on the real
    photos; add the figures to metrics.json and the model card. Call before finish()."""
    import json

    photos, labels = real_photos()
    answers = []
    for photo in photos:
        try:
            probabilities = classify(photo)
            answers.append(max(probabilities, key=probabilities.get))
        except Exception:  # no hand seen: a wrong answer
            answers.append("no hand")
    right = [answer == LABELS[label] for answer, label in zip(answers, labels, strict=True)]
    figures = {
        "real_photo_accuracy": round(float(np.mean(right)), 4),
        "real_photo_answers": {
            "rock (1 photo of a fist)": answers[0],
            "scissors (19 GIF frames of a V)": {a: answers[1:].count(a) for a in set(answers[1:])},
        },
        "real_photo_source": "npm fingerpose 0.1.0 (MIT): fullcurl.jpg + fingers-lq.gif frames",
    }
    metrics = json.loads((folder / "metrics.json").read_text())
    metrics.update(figures)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    card = (folder / "README.md").read_text()
    card += (
        "\n## Real photos\n\nThe only real hand photos in the package registries (npm "
        "`fingerpose` 0.1.0, MIT): one fist (rock) and 19 frames of one man making a V "
        f"(scissors). Accuracy: **{figures['real_photo_accuracy']}**; answers: "
        f"`{json.dumps(figures['real_photo_answers'], ensure_ascii=False)}`. One person, one "
        "room: a sanity check, not a benchmark.\n"
    )
    (folder / "README.md").write_text(card)
    return figures
