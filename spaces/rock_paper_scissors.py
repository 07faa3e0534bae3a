"""Rock-paper-scissors against the computer (upstream experiments 5 and 6).

Show a hand to the webcam, press PLAY: 3-2-1, a snapshot, the computer picks at random,
both hands appear as ✊/✋/✌️ with the winner, a running "You : Computer" score and the
three probabilities. A photo can be uploaded instead. Two models play the same game:
a CNN trained from scratch on rendered hands, and a small head on MediaPipe's hand
landmarks (transfer learning from a network trained on real hands). Each tab also has
a plain API endpoint ``/<id>``: an image in, a gr.Label of rock / paper / scissors out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from spaces import photos
from spaces.common import Experiment, load_keras, model_card_panel, tab_header, weights_file

LABELS = ["rock", "paper", "scissors"]
EMOJI = {"rock": "✊", "paper": "✋", "scissors": "✌️"}
BEATS = {"rock": "scissors", "paper": "rock", "scissors": "paper"}  # key beats value
MIN_SIDE = 32  # smaller pictures cannot show a hand
MAX_SIDE = 1024  # larger ones are shrunk first (a 10,000-px photo costs nothing more)
COUNTDOWN_TICK = 0.7  # seconds, as upstream
EXAMPLES = Path(__file__).parent / "examples" / "rock_paper_scissors"
DATA = "rendered 3-D hand skeletons (no hand photos exist in the package registries)"

EXPERIMENTS = [
    Experiment(
        id="rock_paper_scissors_cnn",
        title="Rock-paper-scissors (CNN)",
        description="Play rock-paper-scissors with your webcam against a CNN trained "
        "from scratch on rendered hands.",
        input_kind="Webcam or image",
        data=f"{DATA}; 21,000 renders, flat and 3-D shaded (on white, walls, photos)",
        metric="test_accuracy",
        metric_label="Held-out accuracy (renders, unseen skins and backgrounds)",
        upstream="0.946 (tfds CGI hands, 372 test images)",
        similar="rock_paper_scissors_transfer",
    ),
    Experiment(
        id="rock_paper_scissors_transfer",
        title="Rock-paper-scissors (transfer learning)",
        description="Play rock-paper-scissors with your webcam against a small head on "
        "MediaPipe's hand landmarks, a network pretrained on real hands.",
        input_kind="Webcam or image",
        data=f"{DATA}; MediaPipe hand landmarks as features",
        metric="test_accuracy",
        metric_label="Held-out accuracy (renders through MediaPipe, no hand = wrong)",
        upstream="0.333 (notebook's fine-tuned MobileNetV2; deployed model unmeasured)",
        similar="rock_paper_scissors_cnn",
    ),
]


# ---------------------------------------------------------------- the game


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


def score_text(score: tuple[int, int]) -> str:
    return f"### You {score[0]} : {score[1]} Computer"


def round_text(you: str, computer: str, outcome: str) -> str:
    verdict = {"you": "You win! 🎉", "computer": "Computer wins.", "draw": "Draw."}[outcome]
    return (
        f"# {EMOJI[you]} vs {EMOJI[computer]}\n"
        f"You: **{you}** · Computer: **{computer}** · {verdict}"
    )


# ---------------------------------------------------------------- pictures -> probabilities


def checked_picture(image) -> np.ndarray:
    """An RGB uint8 picture, at most MAX_SIDE px, or a gr.Error that says what is wrong."""
    if image is None:
        raise gr.Error("No picture: take a snapshot with the webcam or upload a photo.")
    picture = Image.fromarray(np.asarray(image)) if not isinstance(image, Image.Image) else image
    picture = picture.convert("RGB")
    if min(picture.size) < MIN_SIDE:
        raise gr.Error(f"The picture is too small ({picture.width}×{picture.height} px).")
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    array = np.asarray(picture)
    if array.std() < 4:
        raise gr.Error("The picture is blank: show your hand to the camera.")
    return array


def centre_square(image: np.ndarray, size: int) -> np.ndarray:
    """The picture's central square, resized to size x size: the CNN's input (0..255)."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(image[top : top + side, left : left + side])
    return np.asarray(square.resize((size, size), Image.BILINEAR), np.float32)


class NoHand(Exception):
    """The landmark model found no hand in the picture."""


def cnn_classifier(model) -> Callable[[np.ndarray], dict[str, float]]:
    size = model.input_shape[1]  # training/rock_paper_scissors_cnn.py: IMAGE_SIZE

    def classify(image: np.ndarray) -> dict[str, float]:
        x = centre_square(checked_picture(image), size)[None]
        probabilities = np.asarray(model.predict_on_batch(x))[0]
        return {label: float(p) for label, p in zip(LABELS, probabilities, strict=True)}

    return classify


def transfer_classifier(landmarker, head) -> Callable[[np.ndarray], dict[str, float]]:
    from spaces.hand_landmarks import features

    def classify(image: np.ndarray) -> dict[str, float]:
        hand = landmarker(checked_picture(image))
        if hand is None:
            raise NoHand
        probabilities = np.asarray(head.predict_on_batch(features(hand.landmarks)[None]))[0]
        return {label: float(p) for label, p in zip(LABELS, probabilities, strict=True)}

    return classify


def load_classifier(experiment_id: str) -> Callable[[np.ndarray], dict[str, float]]:
    """The experiment's picture -> {label: probability} function (models load once)."""
    if experiment_id == "rock_paper_scissors_cnn":
        return cnn_classifier(load_keras(experiment_id))
    from spaces.hand_landmarks import HandLandmarker

    landmarker = HandLandmarker(weights_file(experiment_id, "model.keras").parent)
    return transfer_classifier(landmarker, load_keras(experiment_id))


def api_function(classify) -> Callable:
    """The plain endpoint: a picture -> the three probabilities (gr.Error if no hand)."""

    def predict(image) -> dict[str, float]:
        picture = np.asarray(photos.open_photo(image))  # any mode, EXIF, bad files: gr.Error
        try:
            return classify(picture)
        except NoHand:
            raise gr.Error("No hand found in the picture: show one hand, closer.") from None

    return predict


def game_function(classify, pick: Callable[[], str] | None = None) -> Callable:
    """One round: (picture, score) -> (round text, score text, probabilities, score)."""
    pick = pick or (lambda: random.choice(LABELS))

    def play(image, score: tuple[int, int]):
        score = tuple(score or (0, 0))
        try:
            probabilities = classify(image)
        except NoHand:
            message = "# 🤷 No hand seen\nShow your whole hand to the camera and play again."
            return message, score_text(score), None, score
        you = max(probabilities, key=probabilities.get)
        computer = pick()
        outcome = winner(you, computer)
        score = add_round(score, outcome)
        return round_text(you, computer, outcome), score_text(score), probabilities, score

    return play


def snapshot_function(play) -> Callable:
    """The round after the countdown, on the latest webcam frame."""

    def play_snapshot(frame, score):
        if frame is None:
            raise gr.Error("Start the webcam first (its Record button), then press PLAY.")
        return play(frame, score)

    return play_snapshot


def countdown() -> Iterator[str]:
    """3, 2, 1 at upstream's pace, then "Snap!" (the round itself runs right after)."""
    for tick in ("3", "2", "1"):
        yield f"# {tick}…"
        time.sleep(COUNTDOWN_TICK)
    yield "# 📸 Snap!"


# ---------------------------------------------------------------- the tab


def build(experiment: Experiment) -> gr.Blocks:
    classify = load_classifier(experiment.id)
    play = game_function(classify)
    private = {"api_visibility": "private"}
    with gr.Blocks() as tab:
        tab_header(experiment)
        with gr.Row():
            with gr.Column():
                camera = gr.Image(
                    sources=["webcam"],
                    streaming=True,
                    type="numpy",
                    label="Your hand (webcam)",
                    webcam_options=gr.WebcamOptions(mirror=True),
                    height=300,
                )
                play_button = gr.Button("PLAY ✊ ✋ ✌️", variant="primary")
                photo = gr.Image(sources=["upload"], type="numpy", label="…or a photo", height=240)
                photo_button = gr.Button("Play with this photo")
                examples = sorted(str(p) for p in EXAMPLES.glob("*.png"))
                if examples:
                    gr.Examples(examples, inputs=photo, cache_examples=False)
            with gr.Column():
                result = gr.Markdown("# Press PLAY\nShow rock, paper or scissors to the camera.")
                score_box = gr.Markdown(score_text((0, 0)))
                probabilities = gr.Label(num_top_classes=3, label="What the model sees")
                reset = gr.Button("Reset score", size="sm")
        score = gr.State((0, 0))
        frame = gr.State(None)  # the latest webcam frame: the snapshot when the countdown ends

        camera.stream(lambda image: image, camera, frame, stream_every=0.25, **private)
        outputs = [result, score_box, probabilities, score]
        play_button.click(countdown, None, result, **private).then(
            snapshot_function(play), [frame, score], outputs, **private
        )
        photo_button.click(play, [photo, score], outputs, **private)
        reset.click(lambda: (score_text((0, 0)), (0, 0)), None, [score_box, score], **private)

        # The plain API endpoint /<id>: an image in, the three probabilities out.
        api_image = photos.photo_input()  # a bad file gets a clear gr.Error, not gradio's
        api_image.visible = False
        api_label = gr.Label(num_top_classes=3, visible=False)
        api_button = gr.Button(visible=False)
        api_button.click(api_function(classify), api_image, api_label, api_name=experiment.id)
        model_card_panel(experiment, real_photo_rows(experiment.metrics()))
    return tab


def real_photo_rows(metrics: dict) -> dict[str, str]:
    """The real-photo figure and what the model answered: 19 of the 20 photos are frames
    of one V, so a model that answers "scissors" to everything would score 0.95."""
    real = metrics.get("real_photo_accuracy")
    if real is None:
        return {}
    answers = []
    for photos_of, answer in metrics.get("real_photo_answers", {}).items():
        if isinstance(answer, dict):
            answer = ", ".join(f"{label} ×{count}" for label, count in answer.items())
        answers.append(f"{photos_of} → {answer}")
    return {
        "Real photos (20, npm fingerpose)": f"{real:.2f}",
        "Its answers to them": "; ".join(answers),
    }
