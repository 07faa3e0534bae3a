"""Objects detection (upstream experiment 7) without the UI: the COCO objects in a photo.

Serves the MobileNetV3-CenterNet converted from TF.js to LiteRT (training/
objects_detection.py), run by XNNPACK on one CPU thread per call: the photo is resized to
512x512 (0..255), the network proposes 100 boxes, and this module keeps those above the
score threshold after non-max suppression, in photo pixels. Webcam frames go to the same
network exported at STREAM_SIZE (``stream_model.tflite``): it finds the boxes the 512
model finds on the example photos (tests/test_objects_detection.py).
"""

from __future__ import annotations

import functools
import json
import threading
import time
from pathlib import Path

import numpy as np

from core import photo
from core.errors import BadInput

SIZE = 512  # the network's input side for photos
STREAM_SIZE = 384  # for webcam frames: 320 lost chelsea's cat (measured, issue 28)
PHOTO_MODEL = "model.tflite"  # the 512 network's LiteRT file
STREAM_MODEL = "stream_model.tflite"  # the STREAM_SIZE one, next to it
SCORE = 0.3  # upstream: 0.3 in the notebook, 0.2 on the demo page
IOU = 0.5  # upstream's demo page
MAX_BOXES = 20  # upstream's demo page


def load_detector(folder: Path, model: str = PHOTO_MODEL):
    """(the network: a (side, side, 3) uint8 array -> its 100 rows, the 80 COCO class
    names); ``model`` is PHOTO_MODEL or STREAM_MODEL."""
    names = json.loads((folder / "labels.json").read_text())
    return LiteNetwork(folder / model), names


class LiteNetwork:
    """A LiteRT detector: a (side, side, 3) uint8 array -> its 100 rows (x1, y1, x2, y2,
    score, class). A call takes a free interpreter, or makes one when all are busy (so
    there are as many as calls ever ran at once), each on one CPU thread: the stream
    worker's threads are then the streams' whole share of the cores."""

    def __init__(self, path: Path):
        self.model = path.read_bytes()
        self._free: list = []
        self._lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with self._lock:
            interpreter = self._free.pop() if self._free else None
        if interpreter is None:
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_content=self.model, num_threads=1)
            interpreter.allocate_tensors()
        try:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[None])
            interpreter.invoke()
            return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]
        finally:
            with self._lock:
                self._free.append(interpreter)

    def interpreters(self) -> int:
        """How many interpreters it has made (all free between calls)."""
        with self._lock:
            return len(self._free)


def detections(
    detect, image, score: float = SCORE, side: int = SIZE
) -> list[tuple[np.ndarray, float, int]]:
    """(box x1, y1, x2, y2 in the image's pixels, score, class) of the objects in an RGB
    PIL image, best first, after score threshold and class-agnostic non-max suppression;
    ``side`` is the network's input side (SIZE, or STREAM_SIZE for the stream model)."""
    x = photo.square(image, side, crop=False)
    return boxes_in(detect(x), image.size, score, side)


def boxes_in(rows: np.ndarray, size: tuple[int, int], score: float, side: int) -> list:
    """``detections``' answer from the network's rows: above ``score``, after
    non-max suppression, scaled from the ``side`` input to a ``size`` (width, height) image."""
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 4] >= score)]
    rows = rows[np.argsort(-rows[:, 4], kind="stable")]
    keep: list[int] = []
    for index in range(len(rows)):  # greedy: a box overlapping a better kept one goes
        if len(keep) == MAX_BOXES:
            break
        if all(iou(rows[index, :4], rows[kept, :4]) <= IOU for kept in keep):
            keep.append(index)
    width, height = size
    scale = np.array([width, height, width, height], np.float32) / side
    return [(rows[i, :4] * scale, float(rows[i, 4]), int(rows[i, 5])) for i in keep]


def iou(a, b) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    union = area - w * h
    return float(w * h / union) if union > 0 else 0.0


def recall(reference: list, found: list, overlap: float = 0.5) -> tuple[int, int]:
    """(how many of ``reference``'s boxes ``found`` has, of how many): the same class
    at IoU >= ``overlap``. Both are ``detections`` answers."""
    hits = sum(
        any(cls == other and iou(box, box2) >= overlap for box2, _, other in found)
        for box, _, cls in reference
    )
    return hits, len(reference)


def detector(detect, names: list[str]):
    """A photo and a score threshold -> (the photo, [((x1, y1, x2, y2), "<class> NN%")]),
    integer boxes inside the photo: gr.AnnotatedImage's value."""

    def find_objects(value: photo.PhotoValue, score: float = SCORE):
        score = checked_score(score)
        image = photo.open_photo(value)
        return np.asarray(image), labelled(detections(detect, image, score), image.size, names)

    return find_objects


def checked_score(score) -> float:
    """The score threshold as a float in (0, 1], else BadInput."""
    try:
        score = float(score)
    except (TypeError, ValueError):
        score = float("nan")
    if not 0.0 < score <= 1.0:
        raise BadInput(f"The score threshold must be in (0, 1], not {score}.")
    return score


def labelled(found: list, size: tuple[int, int], names: list[str]) -> list:
    """``detections``' answer -> [((x1, y1, x2, y2), "<class> NN%")], integer boxes inside
    an image of ``size`` (width, height)."""
    width, height = size
    annotations = []
    for box, probability, cls in found:
        x1, y1 = int(max(box[0], 0)), int(max(box[1], 0))
        x2, y2 = int(min(box[2], width - 1)), int(min(box[3], height - 1))
        annotations.append(((x1, y1, x2, y2), f"{names[cls]} {probability:.0%}"))
    return annotations


def stream_frame(
    detect, names: list[str], frame, score: float = SCORE, stages=None, side: int = STREAM_SIZE
):
    """One webcam frame -> the frame with its objects' boxes drawn in (a PIL image), from
    the stream model (a ``side`` input): the frame is resized once, for the network, and
    the boxes are drawn on the frame itself. With ``stages`` (a dict), the seconds each
    step took are added to it (bench/webcam_stages.py's profile)."""
    clock = _Stages(stages)
    score = checked_score(score)
    image = photo.open_photo(frame)
    clock("decode")
    x = photo.square(image, side, crop=False)
    clock("resize")
    rows = detect(x)
    clock("network")
    found = boxes_in(rows, image.size, score, side)
    clock("nms")
    picture = draw_boxes(image, labelled(found, image.size, names))
    clock("draw")
    return picture


class _Stages:
    """Called with a step's name: adds the seconds since the last call to ``stages``."""

    def __init__(self, stages: dict | None):
        self.stages, self.last = stages, time.perf_counter()

    def __call__(self, name: str) -> None:
        if self.stages is not None:
            now = time.perf_counter()
            self.stages[name] = self.stages.get(name, 0.0) + now - self.last
            self.last = now


def drawn(found: tuple[np.ndarray, list]) -> np.ndarray:
    """``detector``'s answer -> one picture: the photo with each box and its label drawn
    in. The webcam stream shows this: gr.AnnotatedImage would encode a full-size PNG mask
    per box for every frame."""
    from PIL import Image

    pixels, annotations = found
    return np.asarray(draw_boxes(Image.fromarray(pixels), annotations))


def draw_boxes(image, annotations: list):
    """Each box and its label drawn into the RGB PIL ``image`` (changed in place)."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    font = _label_font()
    for (x1, y1, x2, y2), label in annotations:
        draw.rectangle((x1, y1, x2, y2), outline=(255, 40, 40), width=3)
        left, top, right, bottom = draw.textbbox((x1 + 4, y1 + 2), label, font=font)
        draw.rectangle((x1, y1, right + 4, bottom + 2), fill=(255, 40, 40))
        draw.text((x1 + 4, y1 + 2), label, fill=(255, 255, 255), font=font)
    return image


@functools.cache
def _label_font():
    """Pillow's default font, loaded once (PIL loads it on every unfonted call)."""
    from PIL import ImageFont

    return ImageFont.load_default()
