"""Hands in a photo -> 21 landmarks, with MediaPipe's palm detector and landmark model.

Both networks are TFLite files of the `mediapipe` wheel (used only as an archive), run
with LiteRT's interpreter. The pipeline is MediaPipe's own: the palm detector finds the
palm, the crop around it is turned fingers-up and enlarged, and the landmark model returns
21 points and a hand-presence score; with no palm found the whole picture is tried, so a
hand that fills the frame still counts. ``features(landmarks)`` is the ONE normalisation
shared by serving and training: position, size and in-plane rotation taken out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

PALM_SIZE = 192
LANDMARK_SIZE = 224
PALM_THRESHOLD = 0.5
PRESENCE_THRESHOLD = 0.5
CROP_SCALE = 2.6  # MediaPipe's palm -> hand rectangle: 2.6x, shifted half a palm up
CROP_SHIFT = 0.5
WRIST, INDEX_KNUCKLE, MIDDLE_KNUCKLE, PINKY_KNUCKLE = 0, 5, 9, 17
KNUCKLE_SPAN = 0.7  # index -> pinky knuckle over wrist -> middle knuckle, in an average hand


@dataclass
class Hand:
    """What the landmark model saw: 21 (x, y, z) in the 224-px crop, its presence score,
    and the same 21 points in the picture's own pixels (where the hand is)."""

    landmarks: np.ndarray
    presence: float
    crop: np.ndarray  # the 224x224 RGB crop, upright, shown to a person
    points: np.ndarray | None = None  # (21, 2) x, y in the picture that was searched


def _anchors() -> np.ndarray:
    """MediaPipe's 2,016 palm anchor centres: 24x24 cells x 2 and 12x12 cells x 6."""
    centres = []
    for cells, per_cell in ((24, 2), (12, 6)):
        y, x = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(x + 0.5) / cells, (y + 0.5) / cells], -1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


def features(landmarks: np.ndarray) -> np.ndarray:
    """(..., 21, >=2) landmarks -> (..., 42) position-, size- and rotation-free x, y.

    The unit of length is the palm's size as the camera sees it: the wrist -> middle
    knuckle length or the index -> pinky knuckle span (over KNUCKLE_SPAN), whichever is
    longer. A hand seen knuckles-first has a short wrist -> knuckle line but a full span;
    seen from its side, the reverse. Dividing by the short one would blow a fist up into
    long fingers."""
    points = np.asarray(landmarks, np.float32)[..., :2]
    points = points - points[..., WRIST : WRIST + 1, :]
    up = points[..., MIDDLE_KNUCKLE, :]
    span = points[..., INDEX_KNUCKLE, :] - points[..., PINKY_KNUCKLE, :]
    up_length = np.linalg.norm(up, axis=-1, keepdims=True) + 1e-6
    length = np.maximum(up_length, np.linalg.norm(span, axis=-1, keepdims=True) / KNUCKLE_SPAN)
    uy, ux = (up / up_length)[..., 1:2], (up / up_length)[..., 0:1]
    # Rotate so that ``up`` becomes (0, -1): x' = -uy*x + ux*y, y' = -ux*x - uy*y.
    x, y = points[..., 0], points[..., 1]
    rotated = np.stack([-uy * x + ux * y, -ux * x - uy * y], -1)
    return (rotated / length[..., None]).reshape(*points.shape[:-2], 42)


class HandLandmarker:
    """Loads the two TFLite models once; ``__call__(image)`` -> the best ``Hand`` or None."""

    def __init__(self, folder: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.palm = Interpreter(model_path=str(folder / "palm_detection_full.tflite"))
        self.landmark = Interpreter(model_path=str(folder / "hand_landmark_full.tflite"))
        for interpreter in (self.palm, self.landmark):
            interpreter.allocate_tensors()
        self.anchors = _anchors()
        # An Interpreter holds its tensors between set_tensor and get_tensor, so two
        # requests must not run it at once (the webcam, PLAY, photo and API events share it).
        self.lock = threading.Lock()

    def _run(self, interpreter, x: np.ndarray) -> list[np.ndarray]:
        with self.lock:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[None])
            interpreter.invoke()
            outputs = interpreter.get_output_details()
            return [interpreter.get_tensor(o["index"])[0].copy() for o in outputs]

    def palm_box(self, square: Image.Image) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The best palm in a square picture: centre (x, y), size (w, h), wrist->knuckle
        direction, all in that picture's fractions; None below the score threshold."""
        small = square.resize((PALM_SIZE, PALM_SIZE), Image.BILINEAR)
        x = np.asarray(small, np.float32) / 255
        raw, logits = self._run(self.palm, x)
        best = int(np.argmax(logits[:, 0]))
        score = float(1 / (1 + np.exp(-np.clip(logits[best, 0], -100, 100))))
        if score < PALM_THRESHOLD:
            return None
        box = raw[best] / PALM_SIZE
        centre = box[:2] + self.anchors[best]
        size = box[2:4]
        keypoints = box[4:].reshape(7, 2) + self.anchors[best]
        direction = keypoints[2] - keypoints[0]  # wrist centre -> middle finger knuckle
        return centre, size, direction / (np.linalg.norm(direction) + 1e-6), score

    def landmarks(self, crop: Image.Image, to_picture: np.ndarray) -> Hand:
        """The hand in a crop; ``to_picture`` (2x3) maps the 224-px crop's (u, v, 1) to
        the picture's pixels."""
        rgb = np.asarray(crop.resize((LANDMARK_SIZE, LANDMARK_SIZE), Image.BILINEAR))
        points, presence, _, _ = self._run(self.landmark, rgb.astype(np.float32) / 255)
        landmarks = points.reshape(21, 3)
        uv1 = np.concatenate([landmarks[:, :2], np.ones((21, 1), np.float32)], 1)
        return Hand(landmarks, float(presence.ravel()[0]), rgb, uv1 @ to_picture.T)

    def __call__(self, image: np.ndarray) -> Hand | None:
        """The hand in an RGB uint8 picture, or None when the model sees no hand."""
        picture = Image.fromarray(image)
        side = max(picture.size)
        square = Image.new("RGB", (side, side))  # letterbox, as MediaPipe does
        pad = np.array([(side - picture.width) // 2, (side - picture.height) // 2])
        square.paste(picture, tuple(int(p) for p in pad))
        whole = np.array([[side / LANDMARK_SIZE, 0, -pad[0]], [0, side / LANDMARK_SIZE, -pad[1]]])
        candidates = [self.landmarks(square, whole)]  # the whole picture as the crop
        palm = self.palm_box(square)
        if palm is not None:
            centre, size, up, _ = palm
            right = np.array([-up[1], up[0]])
            span = CROP_SCALE * float(max(size)) * side
            middle = (centre + CROP_SHIFT * float(size[1]) * up) * side
            # The affine map from the output crop (u, v) to the square picture.
            origin = middle - span / 2 * right + span / 2 * up
            ax, ay = right * span / LANDMARK_SIZE
            bx, by = -up * span / LANDMARK_SIZE
            crop = square.transform(
                (LANDMARK_SIZE, LANDMARK_SIZE),
                Image.AFFINE,
                (ax, bx, origin[0], ay, by, origin[1]),
                resample=Image.BILINEAR,
            )
            affine = np.array([[ax, bx, origin[0] - pad[0]], [ay, by, origin[1] - pad[1]]])
            candidates.append(self.landmarks(crop, affine))
        best = max(candidates, key=lambda hand: hand.presence)
        return best if best.presence >= PRESENCE_THRESHOLD else None
