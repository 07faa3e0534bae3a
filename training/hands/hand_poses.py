"""Rock / paper / scissors hand poses: a 3-D hand skeleton posed as a move, and the
camera's views of it.

``pose(label, rng, view, split)`` gives the 21 landmarks of a hand (MediaPipe's order:
wrist, then thumb, index, middle, ring, pinky, four points each) posed as rock, paper or
scissors with random joint angles, finger spread, hand proportions and a 3-D rotation:
from any angle, or from one of the named ``VIEWS``.
"""

from __future__ import annotations

import numpy as np

LABELS = ["rock", "paper", "scissors"]
FINGERS = [(1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20)]

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
