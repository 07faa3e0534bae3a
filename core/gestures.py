"""Rock-paper-scissors (upstream experiments 5 and 6), without the UI: the game's rules and
the two models' picture -> probabilities functions.

Both models read a picture through core.photo.open_photo (any file, mode or size, a clear
BadInput for a bad one) and MediaPipe's hand landmarker (core/hand_landmarks.py). The CNN
sees the hand: ``cnn_input`` crops a square around the landmarks the landmarker finds (the
picture's central square when it finds none), resized to the CNN's input size; training
builds its inputs with the same function. The transfer model sees the 21 landmarks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from core import photo
from core.models import input_side, load_keras, predict_one, weights_file

LABELS = ["rock", "paper", "scissors"]
EMOJI = {"rock": "✊", "paper": "✋", "scissors": "✌️"}
BEATS = {"rock": "scissors", "paper": "rock", "scissors": "paper"}  # key beats value
MAX_SIDE = 1024  # pictures are shrunk to this first (a 10,000-px photo costs nothing more)
HAND_MARGIN = 0.3  # the CNN's crop: the landmarks' box grown by this share of its side, each way

Classifier = Callable[[photo.PhotoValue], dict[str, float]]


def winner(you: str, computer: str) -> str:
    """'you', 'computer' or 'draw'."""
    if you not in BEATS or computer not in BEATS:
        raise ValueError(f"unknown move: {you!r} or {computer!r}")
    if you == computer:
        return "draw"
    return "you" if BEATS[you] == computer else "computer"


def add_round(score: tuple[int, int], outcome: str) -> tuple[int, int]:
    """The "You : Computer" score after a round ('you', 'computer' or 'draw')."""
    you, computer = score
    return (you + (outcome == "you"), computer + (outcome == "computer"))


class NoHand(Exception):
    """The landmark model found no hand in the picture."""


def picture(value: photo.PhotoValue) -> np.ndarray:
    """Any picture a visitor sends -> RGB uint8, at most MAX_SIDE px (BadInput if unusable)."""
    image = photo.open_photo(value)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(image)


def centre_square(image: np.ndarray, size: int) -> np.ndarray:
    """The picture's central square, resized to size x size: the CNN's input (0..255)."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(image[top : top + side, left : left + side])
    return np.asarray(square.resize((size, size), Image.Resampling.BILINEAR), np.float32)


def hand_square(image: np.ndarray, points: np.ndarray, size: int) -> np.ndarray:
    """The square around ``points`` (x, y in the picture's pixels) grown by HAND_MARGIN of
    its side on each side, resized to size x size (0..255); outside the picture is black."""
    low, high = points[:, :2].min(0), points[:, :2].max(0)
    side = max(float((high - low).max()) * (1 + 2 * HAND_MARGIN), 8.0)
    left, top = (low + high) / 2 - side / 2
    box = tuple(int(round(v)) for v in (left, top, left + side, top + side))
    square = Image.fromarray(image).crop(box)
    return np.asarray(square.resize((size, size), Image.Resampling.BILINEAR), np.float32)


def cnn_input(image: np.ndarray, landmarker, size: int) -> np.ndarray:
    """The CNN's input, in serving and training alike: the hand the landmarker finds,
    cropped square with a margin; the central square when it finds no hand."""
    hand = landmarker(image)
    if hand is None:
        return centre_square(image, size)
    return hand_square(image, hand.points, size)


def probabilities_of(output: np.ndarray) -> dict[str, float]:
    return {label: float(p) for label, p in zip(LABELS, output, strict=True)}


def cnn_classifier(model, landmarker) -> Classifier:
    """A picture -> {label: probability} with the CNN (its input size read from it) on
    the hand that ``landmarker`` finds."""
    side = input_side(model)

    def classify(value: photo.PhotoValue) -> dict[str, float]:
        return probabilities_of(predict_one(model, cnn_input(picture(value), landmarker, side)))

    return classify


def transfer_classifier(landmarker, head) -> Classifier:
    """A picture -> {label: probability} with the landmark head; NoHand when none is seen."""
    from core.hand_landmarks import features

    def classify(value: photo.PhotoValue) -> dict[str, float]:
        hand = landmarker(picture(value))
        if hand is None:
            raise NoHand
        return probabilities_of(predict_one(head, features(hand.landmarks)))

    return classify


def load_classifier(experiment_id: str) -> Classifier:
    """The experiment's picture -> {label: probability} function (models load once); both
    weights folders hold the landmarker's two TFLite files beside the Keras model."""
    from core.hand_landmarks import HandLandmarker

    landmarker = HandLandmarker(weights_file(experiment_id, "model.keras").parent)
    if experiment_id == "rock_paper_scissors_cnn":
        return cnn_classifier(load_keras(experiment_id), landmarker)
    return transfer_classifier(landmarker, load_keras(experiment_id))


# The real-photo check (training/rock_paper_scissors.py, real_photo_metrics): npm
# fingerpose's photo of a fist, then the GIF frames of one V; metrics.json keeps the answers
# in this shape, the tab's model card shows them.
FIST, V_FRAMES = "rock (1 photo of a fist)", "scissors (19 GIF frames of a V)"


def real_photo_answers(answers: list[str]) -> dict:
    """metrics.json's ``real_photo_answers``: the answer to the fist, then how many of the
    V's frames got each answer."""
    frames = answers[1:]
    return {FIST: answers[0], V_FRAMES: {a: frames.count(a) for a in set(frames)}}


def real_photo_answers_text(answers: dict) -> str:
    """``real_photo_answers`` in words, for the model card."""
    counts = ", ".join(f"{label} ×{count}" for label, count in answers[V_FRAMES].items())
    return f"{FIST} → {answers[FIST]}; {V_FRAMES} → {counts}"
