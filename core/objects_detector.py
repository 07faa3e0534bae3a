"""Objects detection (upstream experiment 7) without the UI: the COCO objects in a photo.

Serves the MobileNetV3-CenterNet converted from TF.js to LiteRT (training/
objects_detection.py), run by XNNPACK on one CPU thread per call: the photo is resized to
512x512 (0..255), the network gives its heat map and box sides, this module picks their
peaks (at most 100) and keeps those above the score threshold after non-max suppression,
in photo pixels. Webcam frames (4:3) go to the same network exported at STREAM_INPUT
(``stream_model.tflite``): it finds the boxes the 512 model finds on the example photos
(tests/test_objects_detection.py).
"""

from __future__ import annotations

import functools
import json
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from core import photo
from core.errors import BadInput

SIZE = 512  # the network's input side for photos
PHOTO_INPUT = (SIZE, SIZE)  # (width, height)
# For webcam frames: 320x256 (near 4:3; sides must be multiples of 32), 16 ms of CPU a
# frame against 21 at 384x288 with the same recall, measured in issue 28 (README, Speed).
# Upstream's in-browser SSD looked at 300x300.
STREAM_INPUT = (320, 256)
PHOTO_MODEL = "model.tflite"  # the 512 network's LiteRT file
STREAM_MODEL = "stream_model.tflite"  # the STREAM_INPUT one, next to it
SCORE = 0.3  # upstream: 0.3 in the notebook, 0.2 on the demo page
IOU = 0.5  # upstream's demo page
MAX_BOXES = 20  # upstream's demo page
FLOOR = 0.05  # the lowest score a detector call keeps by default (the slider's minimum)
STRIDE = 4  # input pixels per cell of the network's maps


def load_detector(folder: Path, model: str = PHOTO_MODEL):
    """(the network: a (height, width, 3) uint8 array and a score floor -> its rows, the
    80 COCO class names); ``model`` is PHOTO_MODEL or STREAM_MODEL."""
    names = json.loads((folder / "labels.json").read_text())
    return LiteNetwork(folder / model), names


class LiteNetwork:
    """A LiteRT CenterNet: a (height, width, 3) uint8 array and a score floor -> its
    objects' rows (x1, y1, x2, y2 in input pixels, score, class), best first, at most 100
    (``peaks``). The LiteRT file ends at the network's two maps; the peaks are picked in
    NumPy, among the scores above the floor only (the graph's own top-100 over the whole
    heat map cost a tenth of a frame). A call takes a free interpreter, or makes one when
    all are busy (so there are as many as calls ever ran at once), each on one CPU
    thread: the stream worker's threads are then the streams' whole share of the cores."""

    def __init__(self, path: Path):
        self.model = path.read_bytes()
        self._free: list = []
        self._lock = threading.Lock()

    def __call__(self, x: np.ndarray, floor: float = FLOOR) -> np.ndarray:
        with self._lock:
            interpreter = self._free.pop() if self._free else None
        if interpreter is None:
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_content=self.model, num_threads=1)
            interpreter.allocate_tensors()
        try:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[None])
            interpreter.invoke()
            rows = _decoded(interpreter, floor)
        finally:
            with self._lock:
                self._free.append(interpreter)
        return rows

    def interpreters(self) -> int:
        """How many interpreters it has made (all free between calls)."""
        with self._lock:
            return len(self._free)


def _decoded(interpreter, floor: float) -> np.ndarray:
    """``peaks`` of the interpreter's two maps, read in place (views of its own buffers,
    gone when this returns: the interpreter may then run again)."""
    maps = [interpreter.tensor(d["index"])()[0] for d in interpreter.get_output_details()]
    heat, sizes = sorted(maps, key=lambda m: -m.shape[-1])  # 80 classes, then 4 sides
    return peaks(heat, sizes, floor)


def peaks(heat: np.ndarray, sizes: np.ndarray, floor: float, top: int = 100) -> np.ndarray:
    """CenterNet's decoding, as the TF.js graph did it: the heat map's (h, w, classes)
    local maxima (none of its 3x3 neighbours of the same class higher), at least
    ``floor``, the ``top`` best, each a row (x1, y1, x2, y2, score, class) in input pixels:
    the peak's cell times STRIDE, minus / plus its four sides (``sizes``, (h, w, 4))."""
    height, width, classes = heat.shape
    found = np.flatnonzero(heat >= floor)
    y, rest = np.divmod(found, width * classes)
    x, cls = np.divmod(rest, classes)
    score = heat.reshape(-1)[found]
    peak = np.ones(len(found), bool)
    for dy in (-1, 0, 1):  # neighbours past the edge are clipped back to the cell itself
        for dx in (-1, 0, 1):
            if dy or dx:
                yy, xx = np.clip(y + dy, 0, height - 1), np.clip(x + dx, 0, width - 1)
                peak &= heat[yy, xx, cls] <= score
    best = np.argsort(-score[peak], kind="stable")[:top]  # ties: the lower index first
    y, x, cls, score = y[peak][best], x[peak][best], cls[peak][best], score[peak][best]
    side = sizes[y, x]
    cx, cy = x * np.float32(STRIDE), y * np.float32(STRIDE)
    box = np.stack([cx - side[:, 0], cy - side[:, 1], cx + side[:, 2], cy + side[:, 3]], axis=1)
    return np.column_stack([box, score, cls]).astype(np.float32)


def detections(
    detect, image, score: float = SCORE, size: tuple[int, int] = PHOTO_INPUT
) -> list[tuple[np.ndarray, float, int]]:
    """(box x1, y1, x2, y2 in the image's pixels, score, class) of the objects in an RGB
    PIL image, best first, after score threshold and class-agnostic non-max suppression;
    ``size`` is the network's input (width, height): PHOTO_INPUT, or STREAM_INPUT for the
    stream model."""
    return boxes_in(detect(network_input(image, size), score), image.size, score, size)


def network_input(image, size: tuple[int, int]) -> np.ndarray:
    """The RGB PIL image resized to the network's input ``size`` (width, height), as the
    TF.js package feeds it: the whole photo, its aspect ratio not kept."""
    if image.size != size:  # a webcam frame comes at the stream model's size already
        image = image.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def boxes_in(rows: np.ndarray, size: tuple[int, int], score: float, given: tuple[int, int]) -> list:
    """``detections``' answer from the network's rows: above ``score``, after non-max
    suppression, scaled from the ``given`` input (width, height) to a ``size`` image."""
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 4] >= score)]
    rows = rows[np.argsort(-rows[:, 4], kind="stable")]
    keep: list[int] = []
    for index in range(len(rows)):  # greedy: a box overlapping a better kept one goes
        if len(keep) == MAX_BOXES:
            break
        if all(iou(rows[index, :4], rows[kept, :4]) <= IOU for kept in keep):
            keep.append(index)
    scale = np.array([*size, *size], np.float32) / np.array([*given, *given], np.float32)
    return [(rows[i, :4] * scale, float(rows[i, 4]), int(rows[i, 5])) for i in keep]


def iou(a, b) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    union = area - w * h
    return float(w * h / union) if union > 0 else 0.0


def recall(reference: list, found: list, overlap: float = 0.5, also=()) -> tuple[int, int]:
    """(how many of ``reference``'s boxes ``found`` has, of how many): at IoU >=
    ``overlap``, of the same class or of one of the classes ``also`` (what the photo truly
    shows, where the reference is wrong). Both are ``detections`` answers."""
    hits = sum(
        any(other in (cls, *also) and iou(box, box2) >= overlap for box2, _, other in found)
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
    detect, names: list[str], frame, score: float = SCORE, stages=None, size=STREAM_INPUT
):
    """One webcam frame -> the frame with its objects' boxes drawn in (a PIL image), from
    the stream model (a ``size`` input): the frame is resized for the network only when
    the camera did not give that size, and the boxes are drawn on the frame itself. With
    ``stages`` (a dict), the seconds each step took are added to it (bench/webcam_stages.py's
    profile)."""
    clock = _Stages(stages)
    score = checked_score(score)
    image = photo.open_photo(frame)
    clock("decode")
    x = network_input(image, size)
    clock("resize")
    rows = detect(x, score)
    clock("network")
    found = boxes_in(rows, image.size, score, size)
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
