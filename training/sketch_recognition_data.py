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
    # Added for issue 14: emoji line art, silhouettes (drawn as their contours), more outline sets.
    ("openmoji", "@iconify-json/openmoji@1.2.29",
     "03181e2c156cab35cf4a62f1f7886bd971d59212e75ac3f189d5a4cae3930fc5", "CC-BY-SA-4.0"),
    ("fluent-emoji-high-contrast", "@iconify-json/fluent-emoji-high-contrast@1.2.6",
     "0b92d48c90d2200bd499e3cdd09a127ca6a8c8ddefd34c35eb5a1e4994012ae0", "MIT"),
    ("emojione-monotone", "@iconify-json/emojione-monotone@1.2.1",
     "40b90004bafb406b59266155ef9b7e1dd67bf2947fc8db8d07388776f4d0d04e", "CC-BY-4.0"),
    ("twemoji", "@iconify-json/twemoji@1.2.5",
     "19046dff7d8707ce96212ec86468b36ac5f8e60409629dd13f809265c6d0ebb7", "CC-BY-4.0"),
    ("game-icons", "@iconify-json/game-icons@1.2.4",
     "f5758efb34d91c4f50b941f355f16ee73938625e5996fabc25171288404460a4", "CC-BY-3.0"),
    ("pepicons-pencil", "@iconify-json/pepicons-pencil@1.2.4",
     "aa0c39ba71c42c0d6f3d8b97a47a54b0c1459ebbbe536b81d830adb8bddfbcd5", "CC-BY-4.0"),
    ("mdi", "@iconify-json/mdi@1.2.3",
     "ddd817a7213f91de51147943915c0cda8c8b818a53c92b5c068cfa9883c6d7ac", "Apache-2.0"),
    ("la", "@iconify-json/la@1.2.1",
     "c35ad2a463fc30d3153a36dd614d4007a4f0ee7ea93705e035e1687d516d48c4", "Apache-2.0"),
    ("mdi-light", "@iconify-json/mdi-light@1.2.2",
     "78fde582d4b9baaf413689469425c4e5f50d9226d884c5eac947fb6c0d00fa87", "OFL-1.1"),
    ("simple-line-icons", "@iconify-json/simple-line-icons@1.2.1",
     "92fd6ea62735a99dec4be69acf5b2c5de61ba54a4442a978a91d3d4201bf1900", "MIT"),
    ("heroicons", "@iconify-json/heroicons@1.2.3",
     "5d9e7a61b36fb8f2444727807aca55bf613924bbb7d47fea408b7a9ea90ce2fb", "MIT"),
    ("ph", "@iconify-json/ph@1.2.2",
     "e3a582a047d9829fc7e8842c660d8065e598d1b68bb58cb68e75a1f1e5a614cc", "MIT"),
    ("carbon", "@iconify-json/carbon@1.2.29",
     "8e3059dc90933875439c29ff36ae4370767bc02d8beca6923b1f2bb856cf327a", "Apache-2.0"),
    ("fluent", "@iconify-json/fluent@1.2.60",
     "9a7cad7adb15288c1fd5e2e1835f1b17f2a8764bb1f31971bffa7c9df1349d6d", "MIT"),
    ("mingcute", "@iconify-json/mingcute@1.2.8",
     "fec65f4430ac70a968e0e7fc7741e7064ba91e6da992b905f75c9d70c717bd2c", "Apache-2.0"),
    ("fa-solid", "@iconify-json/fa-solid@1.2.2",
     "0be98f3a6671238ccf12cdbe2f4f38d9dfc346c770d625015dc35b6683c42208", "CC-BY-4.0"),
    ("bi", "@iconify-json/bi@1.2.7",
     "86a7f213711c929169dbcd64318cd678a0845385156fc707401ba07cbde4da0d", "MIT"),
    ("tdesign", "@iconify-json/tdesign@1.2.19",
     "af53c40f637023517d6a65f609c844d74ad33362b221de971e9579e252a3b8cb", "MIT"),
    ("teenyicons", "@iconify-json/teenyicons@1.2.2",
     "d7433dcfad7bfe26ccab3482516050f8f2d9ea4aacf1d2cb0230694198adda2d", "MIT"),
    ("healthicons", "@iconify-json/healthicons@1.2.13",
     "4c2552c45737788a6599da3c5b72610c7fb4e7f87075d401c56fa16d487d4caf", "MIT"),
    ("ri", "@iconify-json/ri@1.2.10",
     "f7ab45281b250fb0bfa5c5438fc334f010cbf695f5ac851b90b296ef4674fb07", "Apache-2.0"),
    ("material-symbols-light", "@iconify-json/material-symbols-light@1.2.94",
     "b720dad80acabc2ab4312a67d31da70fc6e59a539aeb799b364f4dcb76800e7e", "Apache-2.0"),
    ("basil", "@iconify-json/basil@1.2.4",
     "152e336919ca6c9f8beede2e99687fa264ef4c292e359b091999e801ca9bc0ad", "CC-BY-4.0"),
    ("circum", "@iconify-json/circum@1.2.2",
     "30e07ad409ff777691a8cf97c78663898b38ea40899298e3256ed0668ef9efa9", "MPL-2.0"),
    ("uil", "@iconify-json/uil@1.2.3",
     "8c6c7e7943243ab1254111b175089ec9a8f414f3b4a005883739de015b7ab890", "Apache-2.0"),
]  # fmt: skip
# The set training never sees: test_accuracy is measured on its drawings.
HELD_OUT = "lucide"
# Sets that name the outline variant of an icon with a suffix (the plain name is filled).
STYLE_SUFFIX = {
    "solar": "-linear",
    "majesticons": "-line",
    "fluent": "-24-regular",
    "mingcute": "-line",
    "ri": "-line",
}
# Emoji sets name animals' heads "<animal>-face" (cat-face): these count as the animal.
FACE_SETS = {"openmoji", "fluent-emoji-high-contrast", "emojione-monotone", "twemoji"}
MAX_PER_SET = 4  # drawings one set may give one category (numbered variants are near copies)

# Icon names that mean a QuickDraw category, beyond the category's own name.
SYNONYMS = {
    "airplane": ["plane", "aeroplane", "airplane-mode", "flight", "small-airplane"],
    "baseball": ["ball-baseball"],
    "basketball": ["ball-basketball"],
    "bathtub": ["bath"],
    "bicycle": ["bike", "bicycle-outline"],
    "birthday cake": ["cake-birthday"],
    "bowtie": ["bow-tie"],
    "bucket": ["pail"],
    "cell phone": [
        "device-mobile",
        "smartphone",
        "smart-phone",
        "mobile",
        "iphone",
        "mobile-phone",
    ],
    "coffee cup": ["coffee", "cup-hot", "coffee-cup", "hot-beverage"],
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
    "flower": ["flower-2", "rose", "tulip", "sunflower", "hibiscus", "blossom", "cherry-blossom"],
    "flying saucer": ["ufo"],
    "frying pan": ["pan", "frying-pan", "cooking-pan"],
    "grapes": ["grape"],
    "hamburger": ["burger"],
    "headphones": ["headphone", "headset"],
    "hot air balloon": ["air-balloon", "balloon-hot-air", "hot-air-balloon"],
    "hot dog": ["hotdog"],
    "house": ["home", "home-2", "house-2", "house-with-garden"],
    "house plant": ["plant", "plant-2", "potted-plant", "flower-pot"],
    "ice cream": ["ice-cream-2", "ice-cream-cone", "icecream", "soft-ice-cream"],
    "jacket": ["coat"],
    "jail": ["prison"],
    "lightning": ["bolt", "zap", "thunder", "flash", "high-voltage"],
    "light bulb": ["bulb", "lightbulb", "idea"],
    "marker": ["highlighter", "marker-2"],
    "megaphone": ["speakerphone", "bullhorn", "loudspeaker"],
    "microphone": ["mic", "microphone-2"],
    "motorbike": ["motorcycle", "scooter"],
    "moustache": ["mustache"],
    "mouth": ["lips"],
    "mountain": ["mountains", "snow-capped-mountain"],
    "palm tree": ["palm", "tree-palm", "beach-palm"],
    "pants": ["trousers", "jeans"],
    "paper clip": ["paperclip", "clip"],
    "paintbrush": ["brush", "paint-brush"],
    "pickup truck": ["truck-pickup", "pickup"],
    "picture frame": ["photo", "image", "picture", "gallery"],
    "police car": ["car-police"],
    "power outlet": ["outlet", "plug-socket", "socket", "power-socket"],
    "purse": ["handbag"],
    "rain": ["cloud-rain", "rainy", "raining", "cloud-rain-2", "cloud-with-rain"],
    "remote control": ["remote", "device-remote", "remote-controller"],
    "rhinoceros": ["rhino"],
    "roller coaster": ["rollercoaster"],
    "rollerskates": ["roller-skate", "roller-skating", "skate"],
    "sailboat": ["sail", "sailing", "boat"],
    "school bus": ["bus-school"],
    "sea turtle": ["turtle"],
    "skyscraper": ["building-skyscraper", "building", "buildings"],
    "smiley face": [
        "smile",
        "smiley",
        "mood-smile",
        "happy",
        "emoji-happy",
        "face-smile",
        "grinning-face",
        "smiling-face",
        "slightly-smiling-face",
        "smiling-face-with-smiling-eyes",
        "grinning-face-with-big-eyes",
        "emoji-smile",
    ],
    "snowman": ["snow-man", "snowman-without-snow"],
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
    "traffic light": ["traffic-lights", "vertical-traffic-light", "horizontal-traffic-light"],
    "tree": ["trees", "tree-2", "pine", "christmas-tree", "evergreen-tree", "deciduous-tree"],
    "t-shirt": ["shirt", "tshirt", "tee"],
    "underwear": ["briefs", "underpants"],
    "washing machine": ["washer", "wash-machine"],
    "wine bottle": ["bottle", "bottle-wine"],
    "wine glass": ["wine", "glass-wine", "glass-full"],
    "wristwatch": ["watch", "smartwatch", "device-watch"],
    "apple": ["red-apple", "green-apple"],
    "book": ["open-book", "closed-book", "notebook"],
    "camel": ["two-hump-camel"],
    "camera": ["camera-with-flash"],
    "car": ["automobile", "racing-car"],
    "clock": ["mantelpiece-clock"],
    "cup": ["teacup-without-handle"],
    "cake": ["shortcake"],
    "fish": ["tropical-fish"],
    "hat": ["top-hat", "womans-hat", "billed-cap", "cowboy-hat"],
    "laptop": ["laptop-computer"],
    "moon": ["crescent-moon"],
    "shoe": ["running-shoe", "mans-shoe", "sneaker"],
    "squirrel": ["chipmunk"],
    "star": ["white-medium-star"],
    "sun": ["sun-with-face", "sunny"],
    "bee": ["honeybee"],
    "whale": ["spouting-whale"],
    "hand": ["raised-hand"],
    "guitar": ["acoustic-guitar"],
    "key": ["old-key"],
    "umbrella": ["closed-umbrella"],
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
        if prefix in FACE_SETS and stem.endswith("-face") and stem[:-5] in wanted:
            stem = stem[:-5]
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
    doodle: float = 0.0  # chance the icon is first simplified like a doodle (``doodleise``)
    loose: float = 0.0  # each stroke lands this far off its place (s.d., drawing's size)
    ends: float = 0.0  # chance a stroke misses its ends (loops left open or run on, overshoots)


HEAVY = Style()
# Training style since issue 14: most renders doodle-ised first, a little less dropping.
DOODLE = Style(drop=0.15, shorten=0.25, doodle=0.8)
# Tried in issue 24 (set sketch_recognition.TRAIN_STYLE to it): QuickDraw players' quick
# strokes -- loose joins, loops left open or run on, lines that overshoot, more skewed
# proportions. Trained from scratch with it, the CNN fell on the development doodles (0.552
# top-1 against 0.567; top-3 0.763 against 0.759) and on the held-out icons (0.449 against
# 0.466). Fine-tuning the shipped CNN on it (2 epochs, Adam 3e-4) gained on both (0.586 /
# 0.774 development, 0.474 / 0.648 icons) but is not shipped yet (no training entry for it).
SLOPPY = Style(drop=0.15, shorten=0.25, doodle=0.8, loose=0.02, ends=0.6, stretch=0.35)


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


def simplify(stroke: np.ndarray, epsilon: float) -> np.ndarray:
    """Douglas-Peucker: the fewest points of ``stroke`` that stay within ``epsilon`` of it."""
    if len(stroke) < 3:
        return stroke
    start, end = stroke[0], stroke[-1]
    direction = end - start
    length = np.linalg.norm(direction)
    if length < 1e-9:
        distance = np.linalg.norm(stroke - start, axis=1)
    else:
        offset = stroke - start
        distance = np.abs(direction[0] * offset[:, 1] - direction[1] * offset[:, 0]) / length
    far = int(np.argmax(distance))
    if distance[far] <= epsilon:
        return np.array([start, end])
    left = simplify(stroke[: far + 1], epsilon)
    return np.vstack([left[:-1], simplify(stroke[far:], epsilon)])


def doodleise(
    strokes: Iterable[np.ndarray], rng: np.random.Generator, max_strokes: int = 8
) -> list[np.ndarray]:
    """An icon -> the few strokes a person would draw of it: the outer contour (the
    longest stroke) plus a few of the longest inner strokes, tiny details left out, each
    simplified (Douglas-Peucker) to a handful of points. In a unit box."""
    strokes = [s for s in _normalise(strokes) if len(s) > 1]
    lengths = np.array([np.linalg.norm(np.diff(s, axis=0), axis=1).sum() for s in strokes])
    extents = np.array([np.ptp(s, axis=0).max() for s in strokes])
    order = np.argsort(-lengths)
    keep = int(rng.integers(3, max_strokes + 1))
    chosen = [i for i in order if i == order[0] or extents[i] > 0.06][:keep]
    epsilon = rng.uniform(0.006, 0.025)
    return [simplify(strokes[i], epsilon) for i in sorted(chosen)]


def _missed_ends(stroke: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A quick hand misses its mark: a closed stroke stops short of its start or runs on
    past it; an open one overshoots (or falls short) at both ends. Unit-box units."""
    if np.linalg.norm(stroke[0] - stroke[-1]) < 0.02:
        if rng.random() < 0.5:
            return stroke[: max(2, int(len(stroke) * (1 - rng.uniform(0, 0.12))))]
        run = stroke[: max(2, int(len(stroke) * rng.uniform(0.02, 0.1)))]
        return np.vstack([stroke, run])
    out = stroke.copy()
    for end, inner in ((0, 1), (-1, -2)):
        direction = out[end] - out[inner]
        norm = np.linalg.norm(direction)
        if norm > 1e-9:
            out[end] = out[end] + direction / norm * rng.uniform(-0.02, 0.06)
    return out


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
        if style.ends and len(stroke) > 2 and rng.random() < style.ends:
            stroke = _missed_ends(stroke, rng)
        if style.loose:
            stroke = stroke + rng.normal(0, style.loose, 2)
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
    if style.doodle and rng.random() < style.doodle:
        strokes = doodleise(strokes, rng)
    return render_strokes(strokes, rng, style, width)


def render_strokes(strokes, rng: np.random.Generator, style: Style, width: int) -> np.ndarray:
    """``render`` after the choice of pen and doodle-ising."""
    image = to_mnist(draw(hand_drawn_strokes(strokes, rng, style), width))
    return image if image is not None else np.zeros((28, 28), np.float32)


def render_set(
    items: list[Drawing], labels: dict[str, int], per_drawing: int, seed: int, style: Style = HEAVY
) -> tuple[np.ndarray, np.ndarray]:
    """``per_drawing`` renders of every drawing -> (uint8 images N x 28 x 28, int labels)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((len(items) * per_drawing, 28, 28), np.uint8)
    y = np.zeros(len(items) * per_drawing, np.int32)
    doodles: dict[tuple[str, str], list] = {}  # a few doodle-isings per drawing, reused
    for i, item in enumerate(items):
        if style.doodle and (item.source, item.name) not in doodles:
            doodles[item.source, item.name] = [doodleise(item.strokes, rng) for _ in range(3)]
        for j in range(per_drawing):
            k = i * per_drawing + j
            width = int(rng.integers(style.width[0], style.width[1] + 1))
            strokes = item.strokes
            if style.doodle and rng.random() < style.doodle:
                strokes = doodles[item.source, item.name][int(rng.integers(3))]
            x[k] = np.round(render_strokes(strokes, rng, style, width) * 255)
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


# QuickDraw's own numpy bitmap files, one per category (28x28 uint8, white on black).
QUICKDRAW_BITMAPS = "https://storage.googleapis.com/quickdraw_dataset/full/numpy_bitmap/{}.npy"


def quickdraw(
    per_category: int = 10000, names: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Upstream's data: the first ``per_category`` drawings of each category used
    (``names``, by default training/quickdraw_categories.txt), read from the start of
    QuickDraw's per-category numpy bitmap files. Not tensorflow_datasets'
    quickdraw_bitmap, which downloads all 345 categories in full first (about 39.5 GB).
    Needs internet; cached in CACHE/quickdraw."""
    names = names or categories()
    bitmaps = [quickdraw_bitmaps(name, per_category) for name in names]
    labels = np.concatenate([np.full(len(b), i, np.int32) for i, b in enumerate(bitmaps)])
    return np.concatenate(bitmaps), labels, names


def quickdraw_bitmaps(category: str, count: int) -> np.ndarray:
    """The first ``count`` drawings of one category, (count, 28, 28) uint8: the .npy
    header, then only the rows needed, read from the stream (about 7.8 MB for 10,000)."""
    from urllib.parse import quote
    from urllib.request import urlopen

    cached = CACHE / "quickdraw" / f"{category}-{count}.npy"
    if not cached.is_file():
        with urlopen(QUICKDRAW_BITMAPS.format(quote(category)), timeout=120) as stream:
            version = np.lib.format.read_magic(stream)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
                version, np.lib.format.read_array_header_2_0
            )
            (total, side), _, dtype = read_header(stream)
            rows = min(count, total)
            data = bytearray()
            while len(data) < rows * side and (block := stream.read(rows * side - len(data))):
                data += block
        bitmaps = np.frombuffer(bytes(data), dtype).reshape(rows, 28, 28)
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached.with_suffix(".part.npy"), bitmaps)
        cached.with_suffix(".part.npy").rename(cached)
    return np.load(cached)


# ---------------------------------------------------------------- the canvas, as serving sees it


def canvas(strokes: Iterable, brush: int = 12, size: int = 400) -> Image.Image:
    """Strokes in canvas pixels -> what the Sketchpad sends: an opaque RGBA composite,
    black round-capped brush lines of width ``brush`` on white."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    pen = ImageDraw.Draw(image)
    radius = brush / 2
    for stroke in strokes:
        xy = [tuple(map(float, p)) for p in stroke]
        if len(xy) > 1:
            pen.line(xy, fill=(0, 0, 0, 255), width=brush, joint="curve")
        for x, y in xy if len(xy) < 3 else (xy[0], xy[-1]):
            pen.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(0, 0, 0, 255))
    return image


def doodle_set(path: Path, brush: int = 12) -> tuple[np.ndarray, list[str]]:
    """A committed doodle set (category -> drawings -> strokes of [x, y] canvas pixels)
    -> (uint8 N x 28 x 28 through ``to_mnist``, category of each)."""
    drawings = json.loads(Path(path).read_text())
    images, names = [], []
    for category, versions in drawings.items():
        for strokes in versions:
            images.append(np.round(to_mnist(canvas(strokes, brush)) * 255).astype(np.uint8))
            names.append(category)
    return np.stack(images), names
