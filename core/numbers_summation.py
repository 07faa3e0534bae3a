"""Numbers summation without the UI: the text <-> one-hot codec of the sequence-to-sequence
LSTM that reads "74+83" and writes "157".

The network never sees numbers, only characters: it reads the question one character
at a time and spells the answer one character at a time. This codec is the ONE encoding
that training (training/numbers_summation_rnn.py) and serving (ui/numbers_summation_rnn_tab.py)
share, so the tab feeds the model exactly what it was trained on.
"""

from __future__ import annotations

import re

import numpy as np

from core.errors import BadInput

ID = "numbers_summation_rnn"
VOCAB = "0123456789+ "  # upstream's alphabet; " " pads the question and the answer
MAX_NUMBER = 99  # upstream allowed 1..100; we keep upstream's own rule of 2 digits a number
QUESTION_LEN = len(f"{MAX_NUMBER}+{MAX_NUMBER}")  # 5 characters: "99+99"
ANSWER_LEN = len(str(2 * MAX_NUMBER))  # 3 characters: "198"
# Upstream's validation rule, with surrounding spaces allowed.
PATTERN = re.compile(r"^[1-9][0-9]?\+[1-9][0-9]?$")
RULE = "Max 2 digits per number, i.e. 34+27"
MAX_TEXT = 100  # longer inputs are refused before the regex ever looks at them

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
    """The two numbers of a question, or BadInput with a message for the visitor."""
    text = (text or "").strip()
    if not text:
        raise BadInput(f"Type a sum first. {RULE}")
    if len(text) > MAX_TEXT:
        raise BadInput(f"That is {len(text):,} characters long. {RULE}")
    if not PATTERN.match(text):
        raise BadInput(f"“{text}” is not a sum this network can do. {RULE}")
    a, b = text.split("+")
    return int(a), int(b)
