"""SVG -> strokes: every shape of an icon (path, circle, ellipse, rect, line, polyline,
polygon, and the shapes a ``<use>`` repeats) as polylines in the icon's own coordinates,
with its transforms applied and its curves and arcs sampled into points (``svg_strokes``).

svgelements reads the SVG: path data as minifiers write it (``a1 1 0 011 1``: arc flags
run together), ``transform`` on any element, ``<use>`` of what ``<defs>`` holds.
"""

from __future__ import annotations

import io

import numpy as np
from svgelements import SVG, Close, Line, Move, Path, Shape

CURVE_STEPS = 12  # points per Bezier or arc segment
_ALONG = np.linspace(0, 1, CURVE_STEPS + 1)[1:]  # where a curve is sampled, after its start


def _polylines(path: Path) -> list[np.ndarray]:
    """One polyline per subpath: the ends of straight segments (a close is a line back to
    the subpath's start), CURVE_STEPS points along each curve or arc."""
    strokes = []
    for subpath in path.as_subpaths():
        points: list = []
        for segment in subpath:
            if isinstance(segment, (Move, Line, Close)):
                points.append([segment.end.x, segment.end.y])
            else:
                points.extend(segment.npoint(_ALONG))
        if len(points) > 1:
            strokes.append(np.array(points, float))
    return strokes


def path_strokes(d: str) -> list[np.ndarray]:
    """SVG path data -> one polyline per subpath (absolute coordinates); ValueError on
    data that cannot be read."""
    return _polylines(Path(d))


def svg_strokes(body: str) -> list[np.ndarray]:
    """An SVG fragment (an icon's body) -> polylines of every shape it draws.

    Filled shapes become their outlines, which is how a person would draw them. What
    ``<defs>`` and ``<clipPath>`` hold is drawn only where a ``<use>`` places it."""
    document = f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{body}</svg>'
    strokes: list[np.ndarray] = []
    for element in SVG.parse(io.StringIO(document), reify=True).elements():
        if isinstance(element, Shape):
            strokes += _polylines(Path(element))
    return [s for s in strokes if np.isfinite(s).all()]
