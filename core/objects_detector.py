"""Objects detection (upstream experiment 7) without the UI: the COCO objects in a photo.

Serves the MobileNetV3-CenterNet converted from TF.js (training/objects_detection.py):
the photo is resized to 512x512 (0..255), the network proposes 100 boxes, and this module
keeps those above the score threshold after non-max suppression, in photo pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core import photo
from core.errors import BadInput

SIZE = 512  # the network's input side
SCORE = 0.3  # upstream: 0.3 in the notebook, 0.2 on the demo page
IOU = 0.5  # upstream's demo page
MAX_BOXES = 20  # upstream's demo page


def load_detector(folder: Path):
    """The SavedModel's detect function and the 80 COCO class names."""
    import tensorflow as tf

    detect = tf.saved_model.load(str(folder / "saved_model"))
    names = json.loads((folder / "labels.json").read_text())
    return detect, names


def detections(detect, image, score: float = SCORE) -> list[tuple[np.ndarray, float, int]]:
    """(box x1, y1, x2, y2 in the image's pixels, score, class) of the objects in an RGB
    PIL image, best first, after score threshold and class-agnostic non-max suppression."""
    import tensorflow as tf

    x = photo.square(image, SIZE, crop=False).astype(np.float32)[None]
    rows = np.asarray(detect(tf.constant(x)))[0]
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 4] >= score)]
    boxes = rows[:, [1, 0, 3, 2]]  # y1, x1, y2, x2 as TensorFlow's NMS wants
    keep = tf.image.non_max_suppression(boxes, rows[:, 4], MAX_BOXES, IOU).numpy()
    width, height = image.size
    scale = np.array([width, height, width, height], np.float32) / SIZE
    return [(rows[i, :4] * scale, float(rows[i, 4]), int(rows[i, 5])) for i in keep]


def detector(detect, names: list[str]):
    """A photo and a score threshold -> (the photo, [((x1, y1, x2, y2), "<class> NN%")]),
    integer boxes inside the photo: gr.AnnotatedImage's value."""

    def find_objects(value: photo.PhotoValue, score: float = SCORE):
        try:
            score = float(score)
        except (TypeError, ValueError):
            score = float("nan")
        if not 0.0 < score <= 1.0:
            raise BadInput(f"The score threshold must be in (0, 1], not {score}.")
        image = photo.open_photo(value)
        width, height = image.size
        annotations = []
        for box, probability, cls in detections(detect, image, score):
            x1, y1 = int(max(box[0], 0)), int(max(box[1], 0))
            x2, y2 = int(min(box[2], width - 1)), int(min(box[3], height - 1))
            annotations.append(((x1, y1, x2, y2), f"{names[cls]} {probability:.0%}"))
        return np.asarray(image), annotations

    return find_objects


def drawn(found: tuple[np.ndarray, list]) -> np.ndarray:
    """``detector``'s answer -> one picture: the photo with each box and its label drawn
    in. The webcam stream shows this: gr.AnnotatedImage would encode a full-size PNG mask
    per box for every frame."""
    from PIL import Image, ImageDraw

    pixels, annotations = found
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for (x1, y1, x2, y2), label in annotations:
        draw.rectangle((x1, y1, x2, y2), outline=(255, 40, 40), width=3)
        left, top, right, bottom = draw.textbbox((x1 + 4, y1 + 2), label)
        draw.rectangle((x1, y1, right + 4, bottom + 2), fill=(255, 40, 40))
        draw.text((x1 + 4, y1 + 2), label, fill=(255, 255, 255))
    return np.asarray(image)
