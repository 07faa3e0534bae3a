"""SVG -> strokes: the elements of an icon (path, circle, ellipse, rect, line, polyline,
polygon) as polylines, curves and arcs sampled into points (``svg_strokes``)."""

from __future__ import annotations

import math
import re

import numpy as np

_NUMBER = re.compile(r"[-+]?(?:\d*\.\d+|\d+\.?)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"([MmLlHhVvCcSsQqTtAaZz])|([-+]?(?:\d*\.\d+|\d+\.?)(?:[eE][-+]?\d+)?)")
_ELEMENT = re.compile(r"<(path|circle|ellipse|rect|line|polyline|polygon)\b([^>]*)/?>")
_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
CURVE_STEPS = 12  # points per Bezier or arc segment


def _bezier(points: np.ndarray, steps: int = CURVE_STEPS) -> np.ndarray:
    t = np.linspace(0, 1, steps + 1)[1:, None]
    if len(points) == 3:
        p0, p1, p2 = points
        return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
    p0, p1, p2, p3 = points
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def _arc(start, rx, ry, angle, large, sweep, end) -> np.ndarray:
    """SVG elliptical arc (endpoint form) sampled as points after ``start``."""
    if rx == 0 or ry == 0 or np.allclose(start, end):
        return np.array([end])
    phi = math.radians(angle)
    cos, sin = math.cos(phi), math.sin(phi)
    dx, dy = (start - end) / 2
    x1, y1 = cos * dx + sin * dy, -sin * dx + cos * dy
    rx, ry = abs(rx), abs(ry)
    scale = x1**2 / rx**2 + y1**2 / ry**2
    if scale > 1:
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    num = rx**2 * ry**2 - rx**2 * y1**2 - ry**2 * x1**2
    den = rx**2 * y1**2 + ry**2 * x1**2
    factor = math.sqrt(max(num / den, 0)) * (-1 if large == sweep else 1)
    cx1, cy1 = factor * rx * y1 / ry, -factor * ry * x1 / rx
    centre = np.array([cos * cx1 - sin * cy1, sin * cx1 + cos * cy1]) + (start + end) / 2
    theta = math.atan2((y1 - cy1) / ry, (x1 - cx1) / rx)
    delta = math.atan2((-y1 - cy1) / ry, (-x1 - cx1) / rx) - theta
    if sweep and delta < 0:
        delta += 2 * math.pi
    elif not sweep and delta > 0:
        delta -= 2 * math.pi
    t = theta + delta * np.linspace(0, 1, CURVE_STEPS + 1)[1:]
    x, y = rx * np.cos(t), ry * np.sin(t)
    return np.stack([cos * x - sin * y, sin * x + cos * y], axis=1) + centre


# How many numbers each path command takes.
_ARGUMENTS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}


class _Pen:
    """A path being traced: the finished strokes, the current subpath's points, where the
    pen is, where its subpath started, and the last control point (for S and T)."""

    def __init__(self) -> None:
        self.strokes: list[np.ndarray] = []
        self.points: list[np.ndarray] = []
        self.current = np.zeros(2)
        self.start = np.zeros(2)
        self.control = self.current
        self.previous = ""  # the previous command, for the reflected control points

    def flush(self) -> None:
        if len(self.points) > 1:
            self.strokes.append(np.array(self.points))

    def command(self, command: str, values: list[float]) -> str:
        """Trace one command; returns the command that further numbers repeat."""
        relative = command.islower()
        base = self.current if relative else np.zeros(2)
        upper = command.upper()
        if upper == "Z":
            if self.points:
                self.points.append(self.start.copy())
            self.flush()
            self.points, self.current, self.previous = [], self.start.copy(), "Z"
            return command
        if upper == "M":
            self.flush()
            self.current = base + values
            self.start, self.points, self.previous = self.current.copy(), [self.current.copy()], "M"
            return "l" if relative else "L"  # following pairs are line-tos
        if not self.points:
            self.points = [self.current.copy()]
        self.points.extend(self.segment(upper, relative, base, values))
        self.previous = upper
        return command

    def segment(self, upper: str, relative: bool, base: np.ndarray, v: list[float]):
        """The points of one drawing command after the pen's position; moves the pen."""
        current = self.current
        if upper == "L":
            end = base + v
            points = [end]
        elif upper == "H":
            end = np.array([v[0] + (current[0] if relative else 0), current[1]])
            points = [end]
        elif upper == "V":
            end = np.array([current[0], v[0] + (current[1] if relative else 0)])
            points = [end]
        elif upper in "CS":
            reflected = 2 * current - self.control if self.previous in "CS" else current
            c1 = base + v[:2] if upper == "C" else reflected
            self.control, end = base + v[-4:-2], base + v[-2:]
            points = _bezier(np.array([current, c1, self.control, end]))
        elif upper in "QT":
            reflected = 2 * current - self.control if self.previous in "QT" else current
            self.control = base + v[:2] if upper == "Q" else reflected
            end = base + v[-2:]
            points = _bezier(np.array([current, self.control, end]))
        else:  # "A"
            rx, ry, angle, large, sweep, x, y = v
            end = base + [x, y]
            points = _arc(current, rx, ry, angle, bool(large), bool(sweep), end)
        self.current = end
        return points


def path_strokes(d: str) -> list[np.ndarray]:
    """SVG path data -> one polyline per subpath (absolute coordinates)."""
    tokens = [(c or float(n)) for c, n in _TOKEN.findall(d)]
    pen, command, i = _Pen(), None, 0
    while i < len(tokens):
        if isinstance(tokens[i], str):
            command = tokens[i]
            i += 1
        elif command is None:
            raise ValueError("path data starts with a number")
        count = _ARGUMENTS[command.upper()]
        values = tokens[i : i + count]
        i += count
        if len(values) < count or any(isinstance(v, str) for v in values):
            raise ValueError(f"bad path data near token {i}")
        if count == 0 and i < len(tokens) and not isinstance(tokens[i], str):
            raise ValueError(f"numbers after {command} near token {i}")
        command = pen.command(command, values)
    pen.flush()
    return pen.strokes


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, 33)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def svg_strokes(body: str) -> list[np.ndarray]:
    """An SVG fragment (path, circle, ellipse, rect, line, polyline, polygon) -> polylines.

    Filled shapes become their outlines, which is how a person would draw them."""
    strokes: list[np.ndarray] = []
    body = re.sub(r"<defs>.*?</defs>", "", body, flags=re.S)
    for tag, attributes in _ELEMENT.findall(body):
        a = {k: v for k, v in _ATTRIBUTE.findall(attributes)}
        f = {k: float(v) for k, v in a.items() if _NUMBER.fullmatch(v.strip() or "x")}
        if tag == "path" and "d" in a:
            strokes += path_strokes(a["d"])
        elif tag == "circle":
            strokes.append(_ellipse(f.get("cx", 0), f.get("cy", 0), f["r"], f["r"]))
        elif tag == "ellipse":
            strokes.append(_ellipse(f.get("cx", 0), f.get("cy", 0), f["rx"], f["ry"]))
        elif tag == "rect":
            x, y, w, h = f.get("x", 0), f.get("y", 0), f["width"], f["height"]
            strokes.append(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]))
        elif tag == "line":
            strokes.append(
                np.array([[f.get("x1", 0), f.get("y1", 0)], [f.get("x2", 0), f.get("y2", 0)]])
            )
        elif tag in ("polyline", "polygon"):
            xy = np.array([float(v) for v in _NUMBER.findall(a.get("points", ""))]).reshape(-1, 2)
            if tag == "polygon" and len(xy):
                xy = np.vstack([xy, xy[:1]])
            if len(xy) > 1:
                strokes.append(xy)
    return [s for s in strokes if np.isfinite(s).all()]
