"""The example photos both photo experiments show and test on: real photos from the
scikit-image wheel's data folder (BSD-3 package; see `skimage/data/README.txt`), saved
as small JPEGs in ui/examples/photos/ so the repository stays light."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from core import ROOT
from training.common import fetch

SCIKIT_IMAGE = ("scikit-image", "0.26.0")
SCIKIT_IMAGE_SHA256 = "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af"
PHOTOS = ["coffee", "chelsea", "astronaut", "motorcycle_left", "rocket"]
# What each photo shows, as COCO names, from scikit-image's own descriptions of them
# ("Chelsea the cat", "Eileen Collins", "a cup of coffee", "a motorcycle", a rocket: no
# COCO class): the objects detection checks accept these beside the 512 model's answer.
TRUE_OBJECTS = {
    "coffee": ["cup"],
    "chelsea": ["cat"],
    "astronaut": ["person"],
    "motorcycle_left": ["motorcycle"],
    "rocket": [],
}
EXAMPLES = ROOT / "ui" / "examples" / "photos"
MAX_SIDE = 480  # big enough for both networks (224 and 512 inputs), small on disk


def skimage_photo(name: str) -> Image.Image:
    """One photo out of the pinned scikit-image wheel, as RGB."""
    wheel = fetch.pypi_package(*SCIKIT_IMAGE, sha256=SCIKIT_IMAGE_SHA256)
    for suffix in (".png", ".jpg"):
        try:
            data = fetch.read_member(wheel, f"skimage/data/{name}{suffix}")
        except KeyError:
            continue
        return Image.open(io.BytesIO(data)).convert("RGB")
    raise KeyError(f"{name} is not in scikit-image's data folder")


def write_examples(folder: Path = EXAMPLES) -> list[Path]:
    """Save every photo in PHOTOS as a JPEG at most MAX_SIDE pixels wide or tall."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in PHOTOS:
        photo = skimage_photo(name)
        photo.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        path = folder / f"{name}.jpg"
        photo.save(path, quality=88, optimize=True)
        paths.append(path)
    return paths
