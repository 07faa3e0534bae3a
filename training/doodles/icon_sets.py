"""Outline icon sets standing in for QuickDraw's categories: the pinned sets, the table of
icon names that mean a category, and every matching icon as strokes (``drawings``).

QuickDraw (upstream's data) cannot be downloaded here, so the ``registry`` source builds
a stand-in from independent stroke-outline icon sets on the npm registry (Iconify JSON
packages: one file of SVG bodies per set). Icon names are mapped to QuickDraw's category
names (training/doodles/quickdraw_categories.txt) and every icon is turned into strokes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.common.cache import CACHE
from training.common.fetch import npm_package, read_member
from training.doodles.svg_paths import svg_strokes

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


@dataclass(frozen=True)
class Drawing:
    """One source drawing of a category: the strokes of one icon."""

    category: str
    source: str  # icon set prefix
    name: str  # icon name in the set
    # Left out of the repr: the icon is named by its set and name (cache keys use the repr).
    strokes: tuple[np.ndarray, ...] = field(repr=False)


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
                if "<mask" in body:
                    continue  # a shape cut out by a mask: its outline is not what is drawn
                strokes = svg_strokes(body)
                if strokes:
                    found.append(Drawing(category, prefix, name, tuple(strokes)))
    return found
