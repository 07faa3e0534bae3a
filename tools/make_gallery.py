"""The Home tab's pictures, ``ui/gallery/<id>.webp``: an example input next to the served
model's answer to it. Builds each experiment's tab as the hub does (the weights in
weights/ or the Hub, as served) and calls its request function, found by its API name, as
gradio would. Also what the generators' tabs show when they open, before their models
are loaded (``ui.arrival``): ``<id>.arrival.txt`` for the text generators,
``clothes_generation_dcgan.arrival.png``.

    python -m tools.make_gallery                  # every experiment
    python -m tools.make_gallery --only objects_detection

Rerun it after retraining a model, and commit the pictures (a few tens of KB each).
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.dcgan import generators, noise
from core.experiments import EXPERIMENTS
from core.models import load_keras
from core.text_generator import SPECS, load_generator
from ui import GALLERY, arrival, build_tab
from ui.clothes_generation_dcgan_tab import DEFAULTS
from ui.shared import EXAMPLES

SIDE = 200  # each half of a picture is SIDE x SIDE pixels
INK, PAPER, ACCENT = (33, 37, 41), (255, 255, 255), (79, 70, 229)

# Each experiment's example: what its request function is called with.
DIGIT = EXAMPLES / "digits_recognition"
SKETCH = EXAMPLES / "sketch_recognition"
HAND = EXAMPLES / "rock_paper_scissors"
PHOTOS = EXAMPLES / "photos"
EXAMPLE = {
    "digits_recognition_mlp": DIGIT / "3.png",
    "digits_recognition_cnn": DIGIT / "7.png",
    "sketch_recognition_mlp": SKETCH / "house.png",
    "sketch_recognition_cnn": SKETCH / "cat.png",
    "rock_paper_scissors_cnn": HAND / "paper.png",
    "rock_paper_scissors_transfer": HAND / "rock.png",
    "objects_detection": PHOTOS / "motorcycle_left.jpg",
    "image_classification": PHOTOS / "coffee.jpg",
    "numbers_summation_rnn": "74+83",
    "text_generation_shakespeare_rnn": "Hello, ",
    "text_generation_wikipedia_rnn": "Science is",
    "recipe_generation_rnn": "Banana",
    "clothes_generation_dcgan": 42,
}


def font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:  # no DejaVu: Pillow's own font
        return ImageFont.load_default(size)


def fitted(image: Image.Image) -> Image.Image:
    """``image`` fitted into a white SIDE x SIDE square."""
    image = image.convert("RGB")
    image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    square = Image.new("RGB", (SIDE, SIDE), PAPER)
    square.paste(image, ((SIDE - image.width) // 2, (SIDE - image.height) // 2))
    return square


def blank() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    panel = Image.new("RGB", (SIDE, SIDE), PAPER)
    return panel, ImageDraw.Draw(panel)


def label_panel(probabilities: dict[str, float] | str) -> Image.Image:
    """The top answer in large type, and bars for the first three."""
    panel, draw = blank()
    if isinstance(probabilities, str):  # "Cannot classify"
        draw.text((10, 80), probabilities, fill=INK, font=font(20, bold=True))
        return panel
    top = sorted(probabilities.items(), key=lambda item: -item[1])[:3]
    name = top[0][0]
    size = 44 if len(name) <= 6 else 26 if len(name) <= 12 else 18
    draw.text((10, 12), name, fill=INK, font=font(size, bold=True))
    for row, (label, p) in enumerate(top):
        y = 86 + 38 * row
        draw.text((10, y), f"{label[:18]}  {p:.0%}", fill=INK, font=font(13))
        draw.rectangle((10, y + 18, 10 + int(180 * p), y + 28), fill=ACCENT)
    return panel


def text_panel(text: str, size: int = 12, lines: int = 13, bold_first: str = "") -> Image.Image:
    """``text`` wrapped into the panel (its start in bold when ``bold_first``)."""
    panel, draw = blank()
    text = "".join(c for c in text if ord(c) < 0x1F000)  # emoji: not in DejaVu
    wrapped = []
    for paragraph in text.splitlines() or [""]:
        paragraph = paragraph.strip()
        wrapped += textwrap.wrap(paragraph, width=int(SIDE / (size * 0.58))) or [""]
    y = 8
    for index, line in enumerate(wrapped[:lines]):
        bold = index == 0 and bold_first and line.startswith(bold_first.strip())
        draw.text((8, y), line, fill=INK, font=font(size, bold=bool(bold)))
        y += int(size * 1.15)
    return panel


def big_text_panel(text: str, note: str = "") -> Image.Image:
    panel, draw = blank()
    size = min(36, int(SIDE * 1.4 / max(len(text), 1)))
    draw.text((SIDE // 2, SIDE // 2 - 10), text, fill=INK, font=font(size, bold=True), anchor="mm")
    if note:
        draw.text((SIDE // 2, SIDE - 30), note, fill=ACCENT, font=font(13), anchor="mm")
    return panel


def boxes_panel(image: np.ndarray, boxes: list) -> Image.Image:
    """The photo with its boxes and labels drawn on it."""
    photo = Image.fromarray(image).convert("RGB")
    draw = ImageDraw.Draw(photo)
    width = max(2, photo.width // 120)
    type_ = font(photo.width // 11, bold=True)
    for (x1, y1, x2, y2), label in boxes:
        draw.rectangle((x1, y1, x2, y2), outline=ACCENT, width=width)
        left, top, right, bottom = draw.textbbox((x1, y1), label, font=type_)
        draw.rectangle((left, top, right + width, bottom + width), fill=ACCENT)
        draw.text((x1, y1), label, fill=PAPER, font=type_)
    return fitted(photo)


def drawing_value(path: Path) -> dict:
    """A sketchpad value as the browser sends it, after gradio's preprocessing."""
    composite = np.asarray(Image.open(path).convert("RGBA"))
    return {"background": None, "layers": [], "composite": composite}


def picture(experiment_id: str, fn) -> Image.Image:
    """The example (left) next to the model's answer to it (right)."""
    example = EXAMPLE[experiment_id]
    if experiment_id.startswith(("digits", "sketch")):
        left, right = fitted(Image.open(example)), label_panel(fn(drawing_value(example)))
    elif experiment_id in ("rock_paper_scissors_cnn", "rock_paper_scissors_transfer"):
        left, right = fitted(Image.open(example)), label_panel(fn(str(example)))
    elif experiment_id == "image_classification":
        left, right = fitted(Image.open(example)), label_panel(fn(str(example)))
    elif experiment_id == "objects_detection":
        left, right = fitted(Image.open(example)), boxes_panel(*fn(str(example), 0.3))
    elif experiment_id == "numbers_summation_rnn":
        answer, _, _ = fn(example)
        right = big_text_panel(answer.split("=")[-1].strip(), "the LSTM's answer")
        left = big_text_panel(example)
    elif experiment_id == "clothes_generation_dcgan":
        latents = noise(example, 16)  # what the generator starts from: 16 rows of noise
        grey = np.clip(latents * 48 + 128, 0, 255).astype(np.uint8)
        left = fitted(Image.fromarray(grey).resize((SIDE, SIDE // 2), Image.Resampling.NEAREST))
        right = fitted(Image.fromarray(fn(example, 16)))
    else:  # the text generators: the prompt, then the generated text
        *_, text = fn(example, 200, None, 1)
        left = big_text_panel(example.strip(), "the prompt")
        right = text_panel(text, bold_first=example)
    both = Image.new("RGB", (2 * SIDE + 8, SIDE), (229, 231, 235))
    both.paste(left, (0, 0))
    both.paste(right, (SIDE + 8, 0))
    return both


def write_arrival(experiment_id: str) -> Path | None:
    """The served generator's answer to its tab's default inputs, in ui/gallery/, before
    the tab (which reads it) is built; None for the other experiments."""
    if experiment_id == "clothes_generation_dcgan":
        from_noise, _ = generators(load_keras(experiment_id))
        path = arrival(experiment_id, ".png")
        Image.fromarray(from_noise(*DEFAULTS)).save(path, optimize=True)
        return path
    if experiment_id in SPECS:
        path = arrival(experiment_id, ".txt")
        path.write_text(load_generator(experiment_id).arrival_text())
        return path
    return None


def request_functions(experiment) -> dict:
    """The request functions of the experiment's tab, by API name (gradio's ``fns``)."""
    tab = build_tab(experiment)
    return {block.api_name: block.fn for block in tab.fns.values() if block.api_name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated experiment ids")
    only = [name for name in parser.parse_args().only.split(",") if name]
    GALLERY.mkdir(exist_ok=True)
    for experiment in EXPERIMENTS:
        if only and experiment.id not in only:
            continue
        arrival_file = write_arrival(experiment.id)
        functions = request_functions(experiment)
        if experiment.id not in functions:
            print(f"{experiment.id}: unavailable, no picture")
            continue
        out = GALLERY / f"{experiment.id}.webp"
        picture(experiment.id, functions[experiment.id]).save(out, quality=80, method=6)
        for path in (out, arrival_file):
            if path is not None:
                size = path.stat().st_size / 1024
                print(f"{path.relative_to(GALLERY.parent.parent)}: {size:.0f} KB")


if __name__ == "__main__":
    main()
