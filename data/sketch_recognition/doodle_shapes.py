# ruff: noqa: E501
"""The shapes the authored doodles are written with (an arc is a polyline of points), and
``wobble``, a person's small tremor: shared by author_doodles.py and the digits' examples."""

from __future__ import annotations

import math

import numpy as np


def C(cx, cy, r, a0=0, a1=360, ry=None, n=None):
    """An arc (or a whole circle / ellipse) as one stroke; angles in degrees, 0 = right,
    90 = down (canvas coordinates)."""
    ry = r if ry is None else ry
    n = n or max(6, int(abs(a1 - a0) / 15))
    t = np.radians(np.linspace(a0, a1, n + 1))
    return [[cx + r * math.cos(a), cy + ry * math.sin(a)] for a in t]


def P(*xy):
    """A polyline from flat x, y numbers."""
    return [[xy[i], xy[i + 1]] for i in range(0, len(xy), 2)]


def R(x0, y0, x1, y1):
    """A rectangle drawn in one stroke."""
    return P(x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)


def star(cx, cy, r, inner=0.4, points=5, turn=-90):
    out = []
    for k in range(2 * points + 1):
        radius = r if k % 2 == 0 else r * inner
        a = math.radians(turn + k * 180 / points)
        out.append([cx + radius * math.cos(a), cy + radius * math.sin(a)])
    return out


def polygon(cx, cy, r, sides, turn=0):
    return [
        [cx + r * math.cos(math.radians(turn + 360 * k / sides)),
         cy + r * math.sin(math.radians(turn + 360 * k / sides))]
        for k in range(sides + 1)
    ]  # fmt: skip


def cloud_outline(x0, y, x1, bumps, h):
    """A cloud: ``bumps`` round bumps over a flat bottom at y, from x0 to x1, h high."""
    w = (x1 - x0) / bumps
    out = C(x0 + 0.1 * w, y - 0.35 * h, 0.35 * h, 90, 270, n=8)
    for k in range(bumps):
        cx = x0 + w * (k + 0.5)
        lift = h * (0.35 + 0.25 * math.sin(math.pi * (k + 0.5) / bumps))
        out += C(cx, y - lift, w * 0.6, 200, 340, ry=h * 0.4, n=8)
    out += C(x1 - 0.1 * w, y - 0.35 * h, 0.35 * h, 270, 450, n=8)
    return out + P(x1 - 0.1 * w, y, x0 + 0.1 * w, y)


def wobble(drawing: list, rng: np.random.Generator) -> list:
    """A person's hand on a mouse or a finger: each stroke drifts smoothly off the ideal
    line (up to ~5 px, over a few hundred px of path), with ~1 px tremor on every point,
    rounded to whole pixels. Points are resampled every ~12 px, as a canvas records them."""
    out = []
    for stroke in drawing:
        xy = np.asarray(stroke, float)
        steps = np.linalg.norm(np.diff(xy, axis=0), axis=1) if len(xy) > 1 else np.zeros(0)
        length = np.concatenate([[0], np.cumsum(steps)])
        if length[-1] > 0:
            t = np.linspace(0, length[-1], max(2, int(length[-1] / 12) + 1))
            # keep the corners the author drew
            t = np.unique(np.concatenate([t, length]))
            xy = np.stack([np.interp(t, length, xy[:, 0]), np.interp(t, length, xy[:, 1])], 1)
        else:
            t = np.zeros(len(xy))
        drift = np.zeros_like(xy)
        for axis in range(2):
            for _ in range(2):
                period = rng.uniform(150, 400)
                drift[:, axis] += rng.uniform(1, 2.5) * np.sin(
                    2 * math.pi * t / period + rng.uniform(0, 6.3)
                )
        xy = xy + drift + rng.normal(0, 0.8, xy.shape)
        out.append(np.clip(np.round(xy), 0, 400).astype(int).tolist())
    return out
