# ruff: noqa: E501
"""The shapes the QuickDraw-style test doodles are written with, in a 0..100 box (x right,
y down). Some take random choices (where a loop starts, how far it runs) from ``SHAPES``,
one generator drawn from in the order the drawings are written: author_sketch_test.py
imports the two halves of the drawings in that order."""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "P",
    "A",
    "Q",
    "R",
    "poly",
    "bumpy",
    "spiral",
    "rays",
    "star_line",
    "star_outline",
    "mirror",
    "dots",
]  # what the drawings use

SEED = 2024  # author_sketch_test.py's; the shapes draw from the next one
SHAPES = np.random.default_rng(SEED + 1)


def P(*xy):
    """A polyline from flat x, y numbers."""
    return [[xy[i], xy[i + 1]] for i in range(0, len(xy), 2)]


def A(cx, cy, rx, ry, a0, a1):
    """An arc in one stroke; degrees, 0 = right, 90 = down."""
    n = max(4, int(abs(a1 - a0) / 25))
    t = np.radians(np.linspace(a0, a1, n + 1))
    return [[cx + rx * math.cos(a), cy + ry * math.sin(a)] for a in t]


def Q(cx, cy, rx, ry=None):
    """A quick loop: starts anywhere, stops short of its start or runs on past it, with
    only a handful of points (a fast hand cuts curves into straight bits)."""
    ry = rx if ry is None else ry
    start = SHAPES.uniform(0, 360)
    sweep = SHAPES.uniform(320, 400) * SHAPES.choice([-1, 1])
    n = int(SHAPES.integers(7, 13))
    t = np.radians(np.linspace(start, start + sweep, n + 1))
    return [[cx + rx * math.cos(a), cy + ry * math.sin(a)] for a in t]


def R(x0, y0, x1, y1):
    """A box in one stroke."""
    return P(x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)


def poly(cx, cy, r, sides, turn=0.0, ry=None):
    """A regular polygon in one stroke (``ry`` squashes it)."""
    ry = r if ry is None else ry
    a = np.radians(turn + 360 * np.arange(sides + 1) / sides)
    return [[cx + r * math.cos(t), cy + ry * math.sin(t)] for t in a]


def bumpy(cx, cy, rx, ry, bumps, depth):
    """A closed outline with ``bumps`` waves (clouds, cookies, tree tops, flowers)."""
    t = np.linspace(0, 2 * math.pi, 6 * bumps + 1)
    r = 1 + depth * np.abs(np.sin(bumps * t / 2))
    return [
        [cx + rx * r[i] * math.cos(t[i]), cy + ry * r[i] * math.sin(t[i])] for i in range(len(t))
    ]


def spiral(cx, cy, r, turns):
    t = np.linspace(0, 2 * math.pi * turns, int(12 * turns) + 2)
    radius = np.linspace(r, r * 0.1, len(t))
    return [
        [cx + radius[i] * math.cos(t[i]), cy + radius[i] * math.sin(t[i])] for i in range(len(t))
    ]


def rays(cx, cy, r0, r1, count, turn=0.0):
    out = []
    for k in range(count):
        a = math.radians(turn + 360 * k / count)
        out.append(
            P(
                cx + r0 * math.cos(a),
                cy + r0 * math.sin(a),
                cx + r1 * math.cos(a),
                cy + r1 * math.sin(a),
            )
        )
    return out


def star_line(cx, cy, r, turn=-90):
    """A five-pointed star in one stroke, the way children draw it (lines cross)."""
    a = [math.radians(turn + 72 * k) for k in (0, 2, 4, 1, 3, 0)]
    return [[cx + r * math.cos(t), cy + r * math.sin(t)] for t in a]


def star_outline(cx, cy, r, inner=0.45, turn=-90):
    a = [math.radians(turn + 36 * k) for k in range(11)]
    return [
        [
            cx + (r if k % 2 == 0 else r * inner) * math.cos(t),
            cy + (r if k % 2 == 0 else r * inner) * math.sin(t),
        ]
        for k, t in enumerate(a)
    ]


def mirror(stroke):
    """The stroke mirrored left-right in the 0..100 box."""
    return [[100 - x, y] for x, y in stroke]


def dots(*xy):
    """Tiny dabs (seeds, chips, eyes)."""
    return [P(xy[i], xy[i + 1], xy[i] + 1.5, xy[i + 1] + 1) for i in range(0, len(xy), 2)]
