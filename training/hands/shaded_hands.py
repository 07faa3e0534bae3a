"""3-D shaded renders of a posed hand (``render_shaded``): ray-cast capsules for fingers,
palm and forearm (sometimes in a sleeve), diffuse and specular light, contact shadows
between fingers, a soft cast shadow, sometimes a person behind the hand."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from training.hands import hand_poses, hand_scenes
from training.hands.hand_poses import FINGERS

SLEEVES = ((235, 235, 230), (40, 40, 45), (30, 60, 120), (150, 30, 30), (90, 90, 95))
HAIR = ((30, 25, 20), (80, 55, 35), (140, 110, 70), (200, 200, 200), (20, 20, 20))
# Materials of the capsules: colours[material] in ``_surface``.
SKIN, SLEEVE, FACE, HAIR_MATERIAL, BODY = range(5)


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


def _hand_capsules(world, rotation, arm_end, px, rng, scale: float) -> tuple[list, float]:
    """The forearm, the palm (six capsules fanning from the wrist to the knuckles), the
    thumb's ball and the finger bones, in pixels; and the fingers' radius."""
    sides = np.array([[0.32, 0.05, 0.0], [-0.36, 0.05, 0.0], [0.0, 0.1, 0.0]]) @ rotation.T
    finger_r = rng.uniform(0.085, 0.12) * scale
    palm_r = rng.uniform(0.13, 0.17) * scale
    capsules = [(px(sides[2]), px(arm_end), rng.uniform(0.3, 0.4) * scale, SLEEVE)]
    for base, top in ((sides[0], world[5]), ((sides[0] + sides[2]) / 2, world[5]),
                      (sides[2], world[9]), (sides[2], (world[9] + world[13]) / 2),
                      ((sides[1] + sides[2]) / 2, world[13]), (sides[1], world[17])):  # fmt: skip
        capsules.append((px(base), px(top), palm_r, SKIN))
    capsules.append((px(sides[0]), px(world[2]), finger_r * 1.5, SKIN))  # the thumb's ball
    for joints in FINGERS:
        chain = ([1] if joints[0] == 1 else []) + list(joints)
        radius = finger_r * (1.15 if joints[0] == 1 else rng.uniform(0.9, 1.05))
        for i, (a, b) in enumerate(zip(chain[:-1], chain[1:], strict=True)):
            taper = 1.0 - 0.06 * i
            capsules.append((px(world[a]), px(world[b]), radius * taper, SKIN))
    return capsules, finger_r


def _person(rng: np.random.Generator, big: int, scale: float) -> list:
    """A head (face and hair) and shoulders behind the hand, as in webcam pictures."""
    head_r = scale * rng.uniform(0.45, 0.8)
    head = np.array([*rng.uniform(0.2, 0.8, 2) * big, scale * 3.0])
    face = (head - [0, head_r * 0.25, 0], head + [0, head_r * 0.25, 0], head_r, FACE)
    hair = (head - [0, head_r * 0.45, -head_r * 0.2], head - [0, head_r * 0.2, -head_r * 0.3],
            head_r * 1.02, HAIR_MATERIAL)  # fmt: skip
    body = (head + [-head_r, head_r * 3.2, head_r], head + [head_r, head_r * 3.2, head_r],
            head_r * 1.6, BODY)  # fmt: skip
    return [face, hair, body]


def _colours(rng: np.random.Generator, skin: np.ndarray, split: str) -> np.ndarray:
    """The colour of each material: skin, the forearm (bare or a sleeve), face, hair, body."""
    tones = hand_scenes.TRAIN_TONES if split == "train" else hand_scenes.TEST_TONES
    colours = np.zeros((5, 3))
    colours[SKIN] = skin
    sleeve = rng.random() < 0.45
    colours[SLEEVE] = (
        np.array(SLEEVES[rng.integers(len(SLEEVES))]) * rng.uniform(0.8, 1.1) if sleeve else skin
    )
    colours[FACE] = np.array(tones[rng.integers(len(tones))], float)
    colours[HAIR_MATERIAL] = HAIR[rng.integers(len(HAIR))]
    colours[BODY] = rng.integers(0, 256, 3)
    return colours


def _surface(rng, colours, normal, material) -> tuple[np.ndarray, np.ndarray]:
    """The lit colour of every pixel (ambient, diffuse with warmer shadows, specular) and
    the light's direction."""
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
    return surface + 255 * specular[..., None], light


def _contact_shadows(rng, surface, depth, finger_r: float) -> np.ndarray:
    """Darker where one part passes in front of another (between fingers)."""
    finite = np.where(np.isfinite(depth), depth, 1e6)
    step = np.zeros_like(finite)
    for axis in (0, 1):
        for shift in (1, -1):
            step = np.maximum(step, np.roll(finite, shift, axis) - finite)
    return surface * np.where(step > finger_r * 0.6, rng.uniform(0.55, 0.8), 1.0)[..., None]


def _cast_shadow(rng, image, hand, light, scale: float, big: int) -> np.ndarray:
    """The background darkened by the hand's soft shadow, away from the light."""
    shadow_shift = (-light[:2] / -light[2] * scale * rng.uniform(0.05, 0.25)).astype(int)
    shadow = np.roll(hand.astype(np.float32), tuple(shadow_shift[::-1]), (0, 1))
    blurred = Image.fromarray((shadow * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(big / 40)
    )
    shadow = np.asarray(blurred, np.float32) / 255
    return image * (1 - rng.uniform(0.1, 0.4) * shadow[..., None])


def render_shaded(
    label: str,
    rng: np.random.Generator,
    size: int = 96,
    split: str = "train",
    background: str | None = None,
    view: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A 3-D shaded ``label`` hand over ``background`` (random from the split's families
    when None), sometimes with a person behind it, seen from ``view`` (one of
    hand_poses.VIEWS; a random angle when None). Returns the RGB uint8 (size, size, 3)
    picture and the 21 landmarks as ``flat_hands.render`` does."""
    skin = hand_scenes.skin_tone(rng, split, (0.88, 1.08))
    big = 2 * size
    families = (
        hand_scenes.SHADED_TRAIN_BACKGROUNDS
        if split == "train"
        else hand_scenes.SHADED_TEST_BACKGROUNDS
    )
    kind = background or str(rng.choice(families))
    image = hand_scenes.shaded_background(kind, big, rng)

    if view is None:
        rotation = hand_poses.random_rotation(rng)
    else:
        rotation = hand_poses.view_rotation(view, rng, split)
    world = hand_poses.hand_pose(label, rng) @ rotation.T
    arm_end = np.array([0.0, rng.uniform(1.5, 4.0), 0.15]) @ rotation.T
    frame = hand_scenes.frame(world, big, rng, (0.3, 0.85), 0.9)

    def px(p):  # model units -> pixels (x, y) and depth in pixels
        p = np.asarray(p, float)
        return np.concatenate([frame.pixels(p), p[..., 2:] * frame.scale], -1)

    capsules, finger_r = _hand_capsules(world, rotation, arm_end, px, rng, frame.scale)
    if kind != "white" and rng.random() < 0.4:
        capsules += _person(rng, big, frame.scale)
    depth, normal, material = _raycast(capsules, big)

    surface, light = _surface(rng, _colours(rng, skin, split), normal, material)
    surface = _contact_shadows(rng, surface, depth, finger_r)
    hand = material >= 0
    image = _cast_shadow(rng, image, hand, light, frame.scale, big)
    image = np.where(hand[..., None], surface, image)
    texture = rng.normal(0, rng.uniform(0, 4), (big, big, 1))
    picture = Image.fromarray(np.clip(image + texture, 0, 255).astype(np.uint8))
    picture = hand_scenes.augment(picture, rng, mild=kind == "white")
    landmarks = px(world) / 2
    landmarks[:, 2] -= landmarks[0, 2]
    return np.asarray(picture.resize((size, size), Image.LANCZOS)), landmarks.astype(np.float32)
