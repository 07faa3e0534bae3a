"""Numbers summation: a sequence-to-sequence LSTM that reads "74+83" and writes "157".

The network never sees numbers, only characters: it reads the question one character
at a time and spells the answer one character at a time. The text <-> one-hot codec
below is the ONE encoding that training (training/numbers_summation_rnn.py) and serving
share, so the tab feeds the model exactly what it was trained on.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from spaces.common import Experiment, load_keras, model_card_panel, tab_header, weights_file

ID = "numbers_summation_rnn"
VOCAB = "0123456789+ "  # upstream's alphabet; " " pads the question and the answer
MAX_NUMBER = 99  # upstream allowed 1..100; we keep upstream's own rule of 2 digits a number
QUESTION_LEN = len(f"{MAX_NUMBER}+{MAX_NUMBER}")  # 5 characters: "99+99"
ANSWER_LEN = len(str(2 * MAX_NUMBER))  # 3 characters: "198"
# Upstream's validation rule, with surrounding spaces allowed.
PATTERN = re.compile(r"^[1-9][0-9]?\+[1-9][0-9]?$")
RULE = "Max 2 digits per number, i.e. 34+27"
MAX_TEXT = 100  # longer inputs are refused before the regex ever looks at them

EXPERIMENTS = [
    Experiment(
        id=ID,
        title="Numbers summation (RNN)",
        description=(
            "A sequence-to-sequence LSTM that learned to add two numbers from examples, "
            "reading and writing them as characters."
        ),
        input_kind="Textbox",
        data="every sum a+b with 1 ≤ a, b ≤ 99; a fixed random 20% never seen in training",
        metric="exact_match_heldout",
        metric_label="whole answer right on the 1,960 sums it never saw",
        upstream="0.996 per-character validation accuracy (no whole-answer figure)",
    )
]


# ---------------------------------------------------------------- the shared codec


def question_text(a: int, b: int) -> str:
    """The question as the model reads it: each number right-aligned, " 3+98".

    Upstream padded "a+b" on the right, so a digit's place value depended on how long
    the numbers were; aligning each number puts units, tens and "+" at fixed positions.
    With the left-padded form the network got sums of one-digit numbers wrong (1+2 = 4).
    """
    width = len(str(MAX_NUMBER))
    return f"{a:>{width}}+{b:>{width}}"


def answer_text(total: int) -> str:
    """The answer as the model writes it: right-aligned to ANSWER_LEN, "  3", "157"."""
    return f"{total:>{ANSWER_LEN}}"


def one_hot(text: str, reverse: bool = False) -> np.ndarray:
    """(len(text), len(VOCAB)) float32 one-hot rows; reversed for questions.

    Questions are fed reversed (units digit first), the trick of Sutskever et al. (2014)
    and of keras-io's addition_rnn: it puts the digits that are added first closest to
    the answer and makes training converge far faster.
    """
    if reverse:
        text = text[::-1]
    codes = np.array([VOCAB.index(char) for char in text])
    return np.eye(len(VOCAB), dtype="float32")[codes]


def encode_questions(pairs: list[tuple[int, int]]) -> np.ndarray:
    """(n, QUESTION_LEN, len(VOCAB)) model input for a batch of (a, b) pairs."""
    return np.stack([one_hot(question_text(a, b), reverse=True) for a, b in pairs])


def encode_answers(pairs: list[tuple[int, int]]) -> np.ndarray:
    """(n, ANSWER_LEN, len(VOCAB)) training target: the one-hot spelling of a+b."""
    return np.stack([one_hot(answer_text(a + b)) for a, b in pairs])


def decode(probabilities: np.ndarray) -> str:
    """The most likely character at each answer position, padding stripped."""
    return "".join(VOCAB[i] for i in np.argmax(probabilities, axis=-1)).strip()


def all_pairs() -> list[tuple[int, int]]:
    """The 9,801 questions the tab accepts, in order."""
    return [(a, b) for a in range(1, MAX_NUMBER + 1) for b in range(1, MAX_NUMBER + 1)]


def parse(text: str | None) -> tuple[int, int]:
    """The two numbers of a question, or ValueError with a message for the visitor."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"Type a sum first. {RULE}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"That is {len(text):,} characters long. {RULE}")
    if not PATTERN.match(text):
        raise ValueError(f"“{text}” is not a sum this network can do. {RULE}")
    a, b = text.split("+")
    return int(a), int(b)


# ---------------------------------------------------------------- the tab


@cache
def _served() -> tuple[Any, frozenset[tuple[int, int]]]:
    """The model and the held-out pairs, loaded once; MissingWeights goes up to the hub."""
    heldout = json.loads(weights_file(ID, "heldout.json").read_text())
    return load_keras(ID), frozenset(tuple(pair) for pair in heldout)


def predict(text: str) -> tuple[str, pd.DataFrame, str]:
    """Answer one question: "a+b = <answer>", the probability table and a note.

    The answer is the network's own, right or wrong; the note says which, and whether
    the network saw this sum in training.
    """
    try:
        a, b = parse(text)
    except ValueError as error:
        raise gr.Error(str(error)) from None
    model, heldout = _served()
    probabilities = np.asarray(model.predict_on_batch(encode_questions([(a, b)])))[0]
    answer = decode(probabilities)
    table = pd.DataFrame(probabilities.round(3), columns=list(VOCAB[:-1]) + ["␣ (pad)"])
    table.insert(0, "answer position", [str(i + 1) for i in range(ANSWER_LEN)])
    seen = "never saw this sum" if (a, b) in heldout else "saw this sum in training"
    verdict = "right" if answer == str(a + b) else f"wrong: the sum is {a + b}"
    return f"{a}+{b} = {answer}", table, f"The network {seen}; its answer is {verdict}."


def build(experiment: Experiment) -> gr.Blocks:
    """The tab: a question box, the network's answer and its per-position probabilities."""
    _served()  # load at build time, so a missing model shows as an unavailable tab
    with gr.Blocks() as tab:
        tab_header(experiment)
        gr.Interface(
            predict,
            gr.Textbox(label="Sum", placeholder="34+27", info=RULE),
            [
                gr.Textbox(label="Answer"),
                gr.Dataframe(label="Character probabilities at each answer position"),
                gr.Markdown(),
            ],
            examples=[["1+20"], ["74+83"], ["3+98"]],
            cache_examples=False,
            flagging_mode="never",
            api_name=ID,
        )
        model_card_panel(experiment)
    return tab
