# ruff: noqa: E501
"""The frozen sketch TEST set, drawn in QuickDraw's manner: writes sketch_test_doodles.json.

Every drawing was written by hand from the author's own idea of the object (a 0..100 box,
x right, y down), before any model was scored on it and without looking at the training
icons or any model's answers; author_doodles.py's set is the development set, this one
only measures. ``quickdraw_manner`` (a fixed seed) adds QuickDraw's quick loops,
overshoots, loose joins, skewed proportions, tilts, sizes, tremor and half-finished
drawings.

Run: `python -m data.sketch_recognition.author_sketch_test` (the JSON file is committed).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from data.sketch_recognition.sketch_test_a_to_g import DRAWINGS as A_TO_G
from data.sketch_recognition.sketch_test_h_to_z import DRAWINGS as H_TO_Z
from data.sketch_recognition.sketch_test_shapes import SEED

HERE = Path(__file__).resolve().parent
OUT = HERE / "sketch_test_doodles.json"
HALF_FINISHED = 0.12  # share of drawings whose last strokes are left out

# The test set: every category's drawings, in the order they were written.
D: dict[str, list] = {**A_TO_G, **H_TO_Z}


# ------------------------------------------------------------------- QuickDraw's manner


def _resample(xy: np.ndarray, spacing: float) -> np.ndarray:
    """Points every ``spacing`` along the stroke, keeping the drawn corners."""
    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    length = np.concatenate([[0], np.cumsum(steps)])
    if length[-1] == 0:
        return xy
    t = np.unique(
        np.concatenate([np.linspace(0, length[-1], max(2, int(length[-1] / spacing) + 1)), length])
    )
    return np.stack([np.interp(t, length, xy[:, 0]), np.interp(t, length, xy[:, 1])], 1)


def _ends(xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Quick strokes miss their mark: a closed shape stops short of its start or runs
    past it; a line's ends overshoot (most often) or fall short."""
    if len(xy) < 2:
        return xy
    closed = np.linalg.norm(xy[0] - xy[-1]) < 1e-6 and len(xy) > 3
    if closed:
        if rng.random() < 0.5:  # open loop: the last 0-12 % of the path is never drawn
            fine = _resample(xy, 1.0)
            return fine[: max(2, int(len(fine) * (1 - rng.uniform(0, 0.12))))]
        run = xy[1] - xy[0]  # overshoot: on past the start along the first side
        return np.vstack([xy, xy[0] + run * rng.uniform(0.05, 0.3)])
    out = xy.copy()
    for end, inner in ((0, 1), (-1, -2)):
        direction = out[end] - out[inner]
        norm = np.linalg.norm(direction)
        if norm > 0:
            out[end] = out[end] + direction / norm * rng.uniform(-2.5, 7.0)
    return out


def quickdraw_manner(drawing: list, rng: np.random.Generator) -> list:
    """One authored drawing (0..100 box) -> canvas strokes, drawn the way QuickDraw
    players draw: sloppy ends, loose joins, skewed proportions, any size and place on
    the 400 x 400 canvas, a wobbling hand; some left half-finished."""
    strokes = [np.asarray(s, float) for s in drawing]
    if len(strokes) >= 3 and rng.random() < HALF_FINISHED:
        strokes = strokes[: len(strokes) - int(rng.integers(1, max(2, len(strokes) // 3 + 1)))]
    # Loose joins: every part lands a little off where it belongs.
    strokes = [_ends(s, rng) + rng.normal(0, 1.6, 2) for s in strokes]
    # Wrong proportions, a tilt and a shear, the same for the whole drawing.
    sx, sy = np.exp(rng.normal(0, 0.18, 2))
    turn = math.radians(rng.normal(0, 8))
    shear = rng.uniform(-0.15, 0.15)
    matrix = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    matrix = matrix @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    strokes = [(s - 50) @ matrix.T for s in strokes]
    # Any size, anywhere on the canvas.
    points = np.vstack(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    size = rng.uniform(110, 370)
    scale = size / max(high - low)
    margin = 8
    extent = (high - low) * scale
    corner = [rng.uniform(margin, max(margin, 400 - margin - e)) for e in extent]
    strokes = [(s - low) * scale + corner for s in strokes]
    # The hand: a slow drift (a few px over a few hundred px of path) and tremor.
    out = []
    for s in strokes:
        xy = _resample(s, 10.0) if len(s) > 1 else s
        path = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
        drift = np.zeros_like(xy)
        for axis in range(2):
            period = rng.uniform(120, 350)
            drift[:, axis] = rng.uniform(1, 3.5) * np.sin(
                2 * math.pi * path / period + rng.uniform(0, 6.3)
            )
        xy = xy + drift + rng.normal(0, 0.8, xy.shape)
        out.append(np.clip(np.round(xy), 0, 399).astype(int).tolist())
    return out


def main() -> None:
    rng = np.random.default_rng(SEED)
    lines = []
    for category, versions in D.items():
        body = ",\n  ".join(
            json.dumps(quickdraw_manner(d, rng), separators=(",", ":")) for d in versions
        )
        lines.append(f"{json.dumps(category)}: [\n  {body}\n]")
    OUT.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    print(len(D), "categories,", sum(len(v) for v in D.values()), "doodles")


if __name__ == "__main__":
    main()
