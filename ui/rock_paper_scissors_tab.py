"""Rock-paper-scissors against the computer (upstream experiments 5 and 6).

Show a hand to the webcam, press PLAY: 3-2-1, a snapshot, the computer picks at random,
both hands appear as ✊/✋/✌️ with the winner, a running "You : Computer" score and the
three probabilities. A photo can be uploaded instead. Two models play the same game
(core/gestures.py). Each tab also has a plain API endpoint ``/<id>``: an image
in, a gr.Label of rock / paper / scissors out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

import gradio as gr

from core.experiments import Experiment
from core.gestures import (
    EMOJI,
    LABELS,
    Classifier,
    NoHand,
    add_round,
    load_classifier,
    real_photo_answers_text,
    winner,
)
from core.models import later
from ui.shared import (
    STREAMS,
    array_image,
    examples_of,
    model_card_panel,
    named,
    photo_input,
    shows_errors,
    unwrapped,
)

API_DOC = """Tell rock, paper or scissors from a photo of one hand.

Takes an image (a photo of a hand showing rock, paper or scissors); returns the
probability of each of the three gestures."""
COUNTDOWN_TICK = 0.7  # seconds, as upstream
STREAM_LIMIT = 120  # seconds a webcam stream may run before the visitor restarts it


def score_text(score: tuple[int, int]) -> str:
    return f"### You {score[0]} : {score[1]} Computer"


def round_text(you: str, computer: str, outcome: str) -> str:
    verdict = {"you": "You win! 🎉", "computer": "Computer wins.", "draw": "Draw."}[outcome]
    return (
        f"# {EMOJI[you]} vs {EMOJI[computer]}\n"
        f"You: **{you}** · Computer: **{computer}** · {verdict}"
    )


def api_function(classify: Classifier, name: str) -> Callable:
    """The plain endpoint ``/<name>`` (API_DOC): a picture -> the three probabilities."""

    def predict(image) -> dict[str, float]:
        try:
            return classify(image)
        except NoHand:
            raise gr.Error("No hand found in the picture: show one hand, closer.") from None

    return shows_errors(named(predict, name))


def game_function(classify: Classifier, pick: Callable[[], str] | None = None) -> Callable:
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

    return shows_errors(play)


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


def build(experiment: Experiment) -> gr.Blocks:
    classify = later(load_classifier, experiment.id)  # loaded once the hub serves (core/models.py)
    play = game_function(classify)
    private = {"api_visibility": "private"}
    with gr.Blocks() as tab:
        with gr.Row():
            with gr.Column():
                camera = array_image(
                    sources=["webcam"],
                    streaming=True,
                    label="Your hand (webcam)",
                    webcam_options=gr.WebcamOptions(mirror=True),
                    height=240,  # PLAY under it on a phone's first screen (390x844)
                )
                play_button = gr.Button("PLAY ✊ ✋ ✌️", variant="primary")
                photo = array_image(sources=["upload"], label="…or a photo", height=240)
                photo_button = gr.Button("Play with this photo")
                examples = examples_of(experiment.family)
                if examples:
                    gr.Examples(examples, inputs=photo, cache_examples=False)
            with gr.Column():
                result = gr.Markdown("# Press PLAY\nShow rock, paper or scissors to the camera.")
                score_box = gr.Markdown(score_text((0, 0)))
                probabilities = gr.Label(num_top_classes=3, label="What the model sees")
                reset = gr.Button("Reset score", size="sm")
        score = gr.State((0, 0))
        frame = gr.State(None)  # the latest webcam frame: the snapshot when the countdown ends

        camera.stream(
            lambda image: image,
            camera,
            frame,
            stream_every=0.25,
            time_limit=STREAM_LIMIT,
            concurrency_limit=STREAMS,  # every visitor's stream at once
            **private,
        )
        outputs = [result, score_box, probabilities, score]
        play_button.click(countdown, None, result, **private).then(
            snapshot_function(play), [frame, score], outputs, **private
        )
        photo_button.click(play, [photo, score], outputs, **private)
        reset.click(lambda: (score_text((0, 0)), (0, 0)), None, [score_box, score], **private)

        # The plain API endpoint /<id>: an image in, the three probabilities out.
        api_image = photo_input()  # a bad file gets a clear gr.Error, not gradio's
        api_image.visible = False
        api_label = gr.Label(num_top_classes=3, visible=False)
        api_button = gr.Button(visible=False)
        api_button.click(
            api_function(classify, experiment.id),
            api_image,
            api_label,
            api_name=experiment.id,
            api_description=unwrapped(API_DOC),
        )
        model_card_panel(experiment, real_photo_rows(experiment.metrics()))
    return tab


def real_photo_rows(metrics: dict) -> dict[str, str]:
    """The real-photo figure and what the model answered: 19 of the 20 photos are frames
    of one V, so a model that answers "scissors" to everything would score 0.95."""
    real = metrics.get("real_photo_accuracy")
    if real is None:
        return {}
    return {
        "Real photos (20, npm fingerpose)": f"{real:.2f}",
        "Its answers to them": real_photo_answers_text(metrics["real_photo_answers"]),
    }
