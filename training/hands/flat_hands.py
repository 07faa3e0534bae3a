"""Flat renders of a posed hand: capsules and a polygon for fingers, palm and forearm
(sometimes a sleeve), drawn far to near with outlines, a skin tone, shading by depth and a
light level, over a patterned background (``render``)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from training.hands import hand_poses, hand_scenes
from training.hands.hand_poses import FINGERS


def _shade(colour, factor: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(c * factor, 0, 255)) for c in colour)


def _capsule(draw: ImageDraw.ImageDraw, a, b, radius: float, fill) -> None:
    draw.line([tuple(a), tuple(b)], fill=fill, width=max(1, int(round(2 * radius))))
    for x, y in (a, b):
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def _parts(world: np.ndarray, rotation: np.ndarray, arm_end, radii: tuple) -> list[tuple]:
    """The hand's parts as (depth, kind, points, radius), far to near (larger z is farther
    from the camera): the forearm, the palm (between the wrist's sides and the knuckles)
    and every finger bone."""
    finger_r, thumb_r, arm_r = radii
    wrist_sides = np.array([[0.32, 0.0, 0.0], [-0.36, 0.0, 0.0]]) @ rotation.T
    parts = [(0.05 + arm_end[2] / 2, "arm", [np.zeros(3), arm_end], arm_r)]
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
    return parts


def _draw_part(draw, kind: str, px: list, radius: float, colours: tuple) -> None:
    """One part in its colour over a darker outline; a bone gets a highlight too."""
    colour, dark, arm_colour, outline = colours
    if kind == "arm":
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


def render(
    label: str, rng: np.random.Generator, size: int = 96, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """An RGB uint8 (size, size, 3) picture of a ``label`` hand and its 21 landmarks.

    The landmarks are (x, y) in the picture's pixels and z in the same scale relative
    to the wrist (smaller = nearer), MediaPipe's convention.
    """
    skin = hand_scenes.skin_tone(rng, split, (0.85, 1.1))
    big = 2 * size  # draw at twice the size, then downsample: smooth edges
    families = hand_scenes.TRAIN_BACKGROUNDS if split == "train" else hand_scenes.TEST_BACKGROUNDS
    image = hand_scenes.background(rng.choice(families), big, rng)
    rotation = hand_poses.random_rotation(rng)
    world = hand_poses.hand_pose(label, rng) @ rotation.T
    # The forearm leaves the wrist away from the fingers.
    arm_end = np.array([0.0, rng.uniform(1.5, 3.5), 0.1]) @ rotation.T
    frame = hand_scenes.frame(world, big, rng, (0.35, 0.8), 0.8)

    finger_r = rng.uniform(0.075, 0.11) * frame.scale
    radii = (finger_r, finger_r * rng.uniform(1.1, 1.3), rng.uniform(0.28, 0.4) * frame.scale)
    light = rng.uniform(0.85, 1.15)
    outline = rng.uniform(0.55, 0.8)
    sleeve = rng.integers(0, 256, 3) if rng.random() < 0.4 else None

    draw = ImageDraw.Draw(image)
    zs = world[:, 2]
    span = max(np.ptp(zs), 1e-6)
    for depth, kind, points, radius in _parts(world, rotation, arm_end, radii):
        nearness = float(np.clip((zs.max() - depth) / span, 0, 1))
        colour = _shade(skin, light * (0.8 + 0.3 * nearness))
        arm_colour = _shade(sleeve, light) if sleeve is not None else colour
        colours = (colour, _shade(skin, light * outline), arm_colour, outline)
        _draw_part(draw, kind, [frame.pixels(p) for p in points], radius, colours)

    image = hand_scenes.augment(image, rng).resize((size, size), Image.LANCZOS)
    depths = (world[:, 2:] - world[0, 2]) * frame.scale / 2
    landmarks = np.concatenate([frame.pixels(world) / 2, depths], 1)
    return np.asarray(image), landmarks.astype(np.float32)
