"""Doodles for the sketch experiments: outline icon sets drawn as if by hand.

QuickDraw (upstream's data) cannot be downloaded here, so the ``registry`` source builds
a stand-in from independent stroke-outline icon sets on the npm registry (Iconify JSON
packages: one file of SVG bodies per set). Icon names are mapped to QuickDraw's category
names (training/quickdraw_categories.txt), every icon is turned into strokes (polylines),
and each training image is a fresh hand-drawn-style render of those strokes -- random
stroke width, wobble and jitter along the path, affine distortion, dropped and shortened
strokes -- passed through ``core.drawing.to_mnist``, the very function the canvas uses.

The ``upstream`` source loads the real QuickDraw bitmaps the way upstream did (machines
with internet only).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.drawing import to_mnist
from training.common import CACHE, npm_package, read_member

CATEGORIES_FILE = Path(__file__).with_name("quickdraw_categories.txt")

# Independent stroke-outline icon sets: (Iconify prefix, npm spec, sha256 of the .tgz, licence).
ICON_SETS = [
    ("tabler", "@iconify-json/tabler@1.2.41",
     "3bf99af156d28d05568aff524a35ed1ba238df640a7835a5e02e1f8e439685f6", "MIT"),
    ("lucide", "@iconify-json/lucide@1.2.137",
     "e74db8c3a55fff55bc82de21268c4bced9f65ff10aacc0d5f3a395b0e93243c3", "ISC"),
    ("iconoir", "@iconify-json/iconoir@1.2.11",
     "8e5d3bfbd55aa8ef3878f0c2f248cf71fe99822172fd07990e32ab7fe7a68b1e", "MIT"),
    ("icon-park-outline", "@iconify-json/icon-park-outline@1.2.4",
     "e4c29776086e46ed7d113b7d44798a36ca74df6dcfb949da142db34714ab7c8a", "Apache-2.0"),
    ("hugeicons", "@iconify-json/hugeicons@1.2.35",
     "cca09de913319938961fa0613a8eb42952f76c3ee13a7c68ef411091590c5d8b", "MIT"),
    ("solar", "@iconify-json/solar@1.2.13",
     "9efec9045e9188c5dd5cf9de52f8ad968ffabee565026480a6c74bfe63b3bbc2", "CC-BY-4.0"),
    ("streamline", "@iconify-json/streamline@1.2.5",
     "b64ca35d4d9fb1f6e730d260ab59e1ded79b23d9f156f8d2f458df6a7aa4cf53", "CC-BY-4.0"),
    ("majesticons", "@iconify-json/majesticons@1.2.5",
     "c5f3b1fe9c4051d4c5459a45ebe1d77cd0725c4324fde0897c8ea453075dbcf1", "MIT"),
    ("akar-icons", "@iconify-json/akar-icons@1.2.7",
     "21d871932fc182074cd206b88d6b40cbeffa45d17fdf800fc3bc81358e8ff8c0", "MIT"),
    ("humbleicons", "@iconify-json/humbleicons@1.2.20",
     "f1221ddb636a8192726868809a82c917beb96ef04b10397439c8cfb6ecfc676d", "MIT"),
    ("system-uicons", "@iconify-json/system-uicons@1.2.4",
     "4cb72e98269e4c0fbb60399f9c3da643c093113f6e5c641fa724437e47b72239", "Unlicense"),
]  # fmt: skip
# The set training never sees: test_accuracy is measured on its drawings.
HELD_OUT = "lucide"
# Sets that name the outline variant of an icon with a suffix (the plain name is filled).
STYLE_SUFFIX = {"solar": "-linear", "majesticons": "-line"}
MAX_PER_SET = 4  # drawings one set may give one category (numbered variants are near copies)

# Icon names that mean a QuickDraw category, beyond the category's own name.
SYNONYMS = {
    "airplane": ["plane", "aeroplane", "airplane-mode", "flight"],
    "baseball": ["ball-baseball"],
    "basketball": ["ball-basketball"],
    "bathtub": ["bath"],
    "bicycle": ["bike"],
    "birthday cake": ["cake-birthday"],
    "bowtie": ["bow-tie"],
    "bucket": ["pail"],
    "cell phone": ["device-mobile", "smartphone", "smart-phone", "mobile", "iphone"],
    "coffee cup": ["coffee", "cup-hot", "coffee-cup"],
    "computer": ["device-desktop", "monitor", "desktop", "pc", "computer-desktop"],
    "couch": ["sofa", "armchair"],
    "cruise ship": ["ship", "cruise"],
    "donut": ["doughnut"],
    "dresser": ["drawer", "cabinet"],
    "drums": ["drum"],
    "envelope": ["mail", "email", "letter"],
    "eyeglasses": ["glasses", "eyeglass"],
    "firetruck": ["fire-truck", "truck-fire"],
    "flip flops": ["flip-flops", "sandals"],
    "floor lamp": ["lamp", "lamp-floor"],
    "flower": ["flower-2", "rose", "tulip", "sunflower"],
    "flying saucer": ["ufo"],
    "frying pan": ["pan", "frying-pan", "cooking-pan"],
    "grapes": ["grape"],
    "hamburger": ["burger"],
    "headphones": ["headphone", "headset"],
    "hot air balloon": ["air-balloon", "balloon-hot-air", "hot-air-balloon"],
    "hot dog": ["hotdog"],
    "house": ["home", "home-2", "house-2"],
    "house plant": ["plant", "plant-2", "potted-plant", "flower-pot"],
    "ice cream": ["ice-cream-2", "ice-cream-cone", "icecream"],
    "jacket": ["coat"],
    "jail": ["prison"],
    "lightning": ["bolt", "zap", "thunder", "flash"],
    "light bulb": ["bulb", "lightbulb", "idea"],
    "marker": ["highlighter", "marker-2"],
    "megaphone": ["speakerphone", "bullhorn", "loudspeaker"],
    "microphone": ["mic", "microphone-2"],
    "motorbike": ["motorcycle", "scooter"],
    "moustache": ["mustache"],
    "mouth": ["lips"],
    "mountain": ["mountains"],
    "palm tree": ["palm", "tree-palm", "beach-palm"],
    "pants": ["trousers", "jeans"],
    "paper clip": ["paperclip", "clip"],
    "paintbrush": ["brush", "paint-brush"],
    "pickup truck": ["truck-pickup", "pickup"],
    "picture frame": ["photo", "image", "picture", "gallery"],
    "police car": ["car-police"],
    "power outlet": ["outlet", "plug-socket", "socket", "power-socket"],
    "purse": ["handbag"],
    "rain": ["cloud-rain", "rainy", "raining", "cloud-rain-2"],
    "remote control": ["remote", "device-remote", "remote-controller"],
    "rhinoceros": ["rhino"],
    "roller coaster": ["rollercoaster"],
    "rollerskates": ["roller-skate", "roller-skating", "skate"],
    "sailboat": ["sail", "sailing", "boat"],
    "school bus": ["bus-school"],
    "sea turtle": ["turtle"],
    "skyscraper": ["building-skyscraper", "building", "buildings"],
    "smiley face": ["smile", "smiley", "mood-smile", "happy", "emoji-happy", "face-smile"],
    "snowman": ["snow-man"],
    "soccer ball": ["ball-football", "football", "soccer"],
    "sock": ["socks"],
    "spreadsheet": ["file-spreadsheet", "sheet", "table-2"],
    "steak": ["meat"],
    "stereo": ["speaker", "speaker-2"],
    "stove": ["cooktop", "gas-stove", "stove-2"],
    "streetlight": ["street-light", "lamp-post", "lamppost"],
    "suitcase": ["luggage", "briefcase"],
    "sweater": ["hoodie"],
    "syringe": ["vaccine", "injection"],
    "teddy-bear": ["teddy", "bear-teddy"],
    "telephone": ["phone", "phone-call", "telephone-2"],
    "television": ["tv", "device-tv", "tv-old", "television-2"],
    "tennis racquet": ["tennis-racket", "racket", "racquet"],
    "The Eiffel Tower": ["eiffel-tower", "tower-eiffel", "building-eiffel"],
    "toothpaste": ["tooth-paste"],
    "tooth": ["dental", "teeth"],
    "traffic light": ["traffic-lights"],
    "tree": ["trees", "tree-2", "pine", "christmas-tree"],
    "t-shirt": ["shirt", "tshirt"],
    "underwear": ["briefs", "underpants"],
    "washing machine": ["washer", "wash-machine"],
    "wine bottle": ["bottle", "bottle-wine"],
    "wine glass": ["wine", "glass-wine", "glass-full"],
    "wristwatch": ["watch", "smartwatch", "device-watch"],
}
# QuickDraw categories whose name means something else in icon sets (computer mouse,
# table of data, swimming pool toggles...): never matched by name.
AMBIGUOUS = {"mouse", "line", "pool", "map", "square", "diamond"}

_VARIANT = r"(-\d{1,2}|-alt|-outline|-rounded)?"


def categories() -> list[str]:
    """QuickDraw's 345 category names, in QuickDraw's order."""
    return [line for line in CATEGORIES_FILE.read_text().splitlines() if line]


def icon_names_for(category: str) -> list[str]:
    """The icon base names that stand for a QuickDraw category."""
    if category in AMBIGUOUS:
        return []
    own = category.lower().replace(" ", "-")
    return [own, *SYNONYMS.get(category, [])]


def match_icons(category: str, prefix: str, names: Iterable[str]) -> list[str]:
    """Names in one icon set that draw ``category``: the name or a synonym, optionally
    numbered (``-2``, ``-01``), in the set's outline style; at most MAX_PER_SET."""
    return icon_index(prefix, names).get(category, [])


def icon_index(prefix: str, names: Iterable[str]) -> dict[str, list[str]]:
    """category -> the icon names of one set that draw it (see ``match_icons``)."""
    wanted = {base: c for c in reversed(categories()) for base in icon_names_for(c)}
    suffix = STYLE_SUFFIX.get(prefix, "")
    index: dict[str, list[str]] = {}
    for name in sorted(names):
        if not name.endswith(suffix):
            continue
        stem = name[: len(name) - len(suffix)]
        base = stem if stem in wanted else re.sub(rf"{_VARIANT}$", "", stem)
        if base in wanted:
            found = index.setdefault(wanted[base], [])
            if len(found) < MAX_PER_SET:
                found.append(name)
    return index


# ---------------------------------------------------------------- SVG -> strokes

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


def path_strokes(d: str) -> list[np.ndarray]:
    """SVG path data -> one polyline per subpath (absolute coordinates)."""
    tokens = [(c or float(n)) for c, n in _TOKEN.findall(d)]
    strokes: list[np.ndarray] = []
    points: list[np.ndarray] = []
    current = np.zeros(2)
    start = np.zeros(2)
    control = current  # last control point, for S and T
    command = None
    i = 0

    def take(count: int) -> list[float]:
        nonlocal i
        values = tokens[i : i + count]
        i += count
        if len(values) < count or any(isinstance(v, str) for v in values):
            raise ValueError(f"bad path data near token {i}")
        return values

    def flush() -> None:
        if len(points) > 1:
            strokes.append(np.array(points))

    previous = ""  # the previous command, for the reflected control points of S and T
    while i < len(tokens):
        if isinstance(tokens[i], str):
            command = tokens[i]
            i += 1
        elif command is None:
            raise ValueError("path data starts with a number")
        relative = command.islower()
        base = current if relative else np.zeros(2)
        upper = command.upper()
        if upper == "Z":
            if points:
                points.append(start.copy())
            flush()
            points, current, previous = [], start.copy(), "Z"
            continue
        if upper == "M":
            flush()
            current = base + take(2)
            start, points, previous = current.copy(), [current.copy()], "M"
            command = "l" if relative else "L"  # following pairs are line-tos
            continue
        if not points:
            points = [current.copy()]
        if upper == "L":
            current = base + take(2)
            points.append(current)
        elif upper == "H":
            (x,) = take(1)
            current = np.array([x + (current[0] if relative else 0), current[1]])
            points.append(current)
        elif upper == "V":
            (y,) = take(1)
            current = np.array([current[0], y + (current[1] if relative else 0)])
            points.append(current)
        elif upper in "CS":
            if upper == "C":
                c1 = base + take(2)
            else:
                c1 = 2 * current - control if previous in "CS" else current
            c2, end = base + take(2), base + take(2)
            points.extend(_bezier(np.array([current, c1, c2, end])))
            control, current = c2, end
        elif upper in "QT":
            if upper == "Q":
                c1 = base + take(2)
            else:
                c1 = 2 * current - control if previous in "QT" else current
            end = base + take(2)
            points.extend(_bezier(np.array([current, c1, end])))
            control, current = c1, end
        elif upper == "A":
            rx, ry, angle, large, sweep, x, y = take(7)
            end = base + [x, y]
            points.extend(_arc(current, rx, ry, angle, bool(large), bool(sweep), end))
            current = end
        else:
            raise ValueError(f"unknown path command {command}")
        previous = upper
    flush()
    return strokes


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


# ---------------------------------------------------------------- icon sets -> drawings


@dataclass(frozen=True)
class Drawing:
    """One source drawing of a category: the strokes of one icon."""

    category: str
    source: str  # icon set prefix
    name: str  # icon name in the set
    strokes: tuple[np.ndarray, ...]


def load_icon_set(prefix: str) -> dict[str, str]:
    """Icon name -> SVG body for one pinned, sha256-checked set (fetched once, cached)."""
    _, spec, sha256, _ = next(s for s in ICON_SETS if s[0] == prefix)
    cached = CACHE / "sketches" / f"{prefix}.json"
    if not cached.exists():
        data = json.loads(read_member(npm_package(spec, sha256), "package/icons.json"))
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps({n: v["body"] for n, v in data["icons"].items()}))
    return json.loads(cached.read_text())


def drawings(prefixes: Iterable[str] | None = None) -> list[Drawing]:
    """Every icon that draws a QuickDraw category, across the given sets (default: all)."""
    found = []
    for prefix in prefixes or [s[0] for s in ICON_SETS]:
        icons = load_icon_set(prefix)
        for category, names in icon_index(prefix, icons).items():
            for name in names:
                body = icons[name]
                if re.search(r"transform|<mask|<use", body):
                    continue  # rare; not worth a full SVG renderer
                try:
                    strokes = svg_strokes(body)
                except (ValueError, KeyError):
                    continue
                if strokes:
                    found.append(Drawing(category, prefix, name, tuple(strokes)))
    return found


# ---------------------------------------------------------------- hand-drawn rendering

CANVAS = 256  # render size before to_mnist (a canvas-like resolution)


@dataclass(frozen=True)
class Style:
    """How hard the hand-drawn augmentation is; the defaults are the heavy style that
    transferred best to real doodles in the trial described in the issue."""

    drop: float = 0.25  # chance a stroke (not the longest) is left out
    shorten: float = 0.35  # chance a stroke is only partly drawn
    wobble: float = 0.035  # low-frequency drift, in units of the drawing's size
    jitter: float = 0.006  # per-point hand tremor
    rotate: float = 15.0  # degrees
    stretch: float = 0.25  # independent x / y scale range
    shear: float = 0.25
    flip: float = 0.5  # chance of a left-right mirror (upstream flipped too)
    width: tuple[int, int] = (3, 18)  # brush width range on the CANVAS
    spacing: float = 0.012  # resampling step along each stroke


HEAVY = Style()
LIGHT = Style(0.05, 0.05, 0.008, 0.002, 5.0, 0.08, 0.08, 0.5, (4, 9))


def _normalise(strokes: Iterable[np.ndarray]) -> list[np.ndarray]:
    """Scale to a unit box (aspect kept) centred on the origin."""
    strokes = list(strokes)
    every = np.vstack(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    size = max((high - low).max(), 1e-6)
    return [(s - (low + high) / 2) / size for s in strokes]


def _resample(stroke: np.ndarray, spacing: float) -> np.ndarray:
    steps = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    length = np.concatenate([[0], np.cumsum(steps)])
    if length[-1] < 1e-9:
        return stroke[:1]
    t = np.linspace(0, length[-1], max(2, int(length[-1] / spacing) + 1))
    return np.stack([np.interp(t, length, stroke[:, 0]), np.interp(t, length, stroke[:, 1])], 1)


def hand_drawn_strokes(
    strokes: Iterable[np.ndarray], rng: np.random.Generator, style: Style = HEAVY
) -> list[np.ndarray]:
    """Icon strokes -> wobbly, distorted, partly dropped strokes in a unit box."""
    strokes = [_resample(s, style.spacing) for s in _normalise(strokes)]
    lengths = [len(s) for s in strokes]
    keep = int(np.argmax(lengths))
    out = []
    for index, stroke in enumerate(strokes):
        if index != keep and rng.random() < style.drop:
            continue
        if len(stroke) > 4 and rng.random() < style.shorten:
            part = rng.uniform(0.5, 0.9)
            begin = rng.integers(0, int(len(stroke) * (1 - part)) + 1)
            stroke = stroke[begin : begin + max(2, int(len(stroke) * part))]
        # Wobble: a smooth random drift along the stroke (two random sinusoids per axis).
        t = np.linspace(0, 1, len(stroke))[:, None] * len(stroke) * style.spacing
        frequency = rng.uniform(1.0, 4.0, (2, 2))
        phase = rng.uniform(0, 2 * math.pi, (2, 2))
        drift = sum(np.sin(2 * math.pi * frequency[k] * t + phase[k]) for k in range(2))
        stroke = stroke + style.wobble * drift / 2 * rng.uniform(0.3, 1.0)
        stroke = stroke + rng.normal(0, style.jitter, stroke.shape)
        out.append(stroke)
    # One affine distortion of the whole drawing.
    angle = math.radians(rng.uniform(-style.rotate, style.rotate))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    scale = np.diag(rng.uniform(1 - style.stretch, 1 + style.stretch, 2))
    shear = np.array([[1, rng.uniform(-style.shear, style.shear)], [0, 1]])
    matrix = rotation @ shear @ scale
    if rng.random() < style.flip:
        matrix = matrix @ np.diag([-1.0, 1.0])
    return _normalise(s @ matrix.T for s in out)


def draw(strokes: Iterable[np.ndarray], width: int, size: int = CANVAS) -> Image.Image:
    """Strokes in a unit box -> black ink on a white ``size`` canvas, like the Sketchpad."""
    image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(image)
    margin = size * 0.1
    for stroke in strokes:
        xy = (stroke + 0.5) * (size - 2 * margin) + margin
        pen.line([tuple(p) for p in xy], fill=0, width=width)
        radius = width / 2  # round caps, like a brush
        for x, y in (xy[0], xy[-1]):
            pen.ellipse([x - radius, y - radius, x + radius, y + radius], fill=0)
    return image


def render(
    strokes: Iterable[np.ndarray], rng: np.random.Generator, style: Style = HEAVY
) -> np.ndarray:
    """One hand-drawn-style 28x28 image (white on black in [0, 1]) of an icon's strokes,
    through the same preprocessing as the canvas."""
    width = int(rng.integers(style.width[0], style.width[1] + 1))
    image = to_mnist(draw(hand_drawn_strokes(strokes, rng, style), width))
    return image if image is not None else np.zeros((28, 28), np.float32)


def render_set(
    items: list[Drawing], labels: dict[str, int], per_drawing: int, seed: int, style: Style = HEAVY
) -> tuple[np.ndarray, np.ndarray]:
    """``per_drawing`` renders of every drawing -> (uint8 images N x 28 x 28, int labels)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((len(items) * per_drawing, 28, 28), np.uint8)
    y = np.zeros(len(items) * per_drawing, np.int32)
    for i, item in enumerate(items):
        for j in range(per_drawing):
            k = i * per_drawing + j
            x[k] = np.round(render(item.strokes, rng, style) * 255)
            y[k] = labels[item.category]
    return x, y


def balanced(items: list[Drawing], per_category: int) -> list[Drawing]:
    """Repeat each category's drawings so every category gets ~``per_category`` renders."""
    by_category: dict[str, list[Drawing]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    out = []
    for group in by_category.values():
        out += [group[i % len(group)] for i in range(per_category)]
    return out


# ---------------------------------------------------------------- upstream: QuickDraw


def quickdraw(per_category: int = 10000) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Upstream's data, loaded the way upstream did: tensorflow_datasets' quickdraw_bitmap
    (28x28 white on black, 0..255, 345 classes), its first ``per_category`` x 345
    records. Needs internet and tensorflow-datasets."""
    import tensorflow_datasets as tfds

    count = per_category * 345
    data, info = tfds.load(
        "quickdraw_bitmap", split=f"train[:{count}]", as_supervised=True, with_info=True
    )
    images, labels = zip(*tfds.as_numpy(data), strict=True)
    names = info.features["label"].names
    return np.stack(images)[..., 0], np.array(labels, np.int32), names
