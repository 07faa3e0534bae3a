"""Numbers summation (upstream experiment 9): a sequence-to-sequence LSTM that reads
"74+83" and writes "157", with the probability of each character it wrote."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from core.experiments import Experiment
from core.models import later, load_keras, predict_one, weights_file
from core.numbers_summation import ANSWER_LEN, ID, RULE, VOCAB, decode, encode_questions, parse
from ui.shared import model_card_panel, shows_errors


@cache
def _served() -> tuple[Any, frozenset[tuple[int, int]]]:
    """The model (loaded once the hub serves, core/models.py) and the held-out pairs;
    MissingWeights goes up to the hub."""
    heldout = json.loads(weights_file(ID, "heldout.json").read_text())
    return later(load_keras, ID), frozenset(tuple(pair) for pair in heldout)


@shows_errors
def numbers_summation_rnn(text: str) -> tuple[str, pd.DataFrame, str]:
    """Add two whole numbers from 1 to 99 with a character-level LSTM.

    Takes a sum written like "74+83"; returns the network's answer ("74+83 = 157"), the
    probability of each character at each answer position, and a note saying whether the
    answer is right and whether the network saw this sum in training.
    """
    a, b = parse(text)
    model, heldout = _served()
    probabilities = predict_one(model, encode_questions([(a, b)])[0])
    answer = decode(probabilities)
    table = pd.DataFrame(np.round(probabilities, 3), columns=list(VOCAB[:-1]) + ["␣ (pad)"])
    table.insert(0, "answer position", [str(i + 1) for i in range(ANSWER_LEN)])
    seen = "never saw this sum" if (a, b) in heldout else "saw this sum in training"
    verdict = "right" if answer == str(a + b) else f"wrong: the sum is {a + b}"
    return f"{a}+{b} = {answer}", table, f"The network {seen}; its answer is {verdict}."


def build(experiment: Experiment) -> gr.Blocks:
    """The tab: a question box, the network's answer and its per-position probabilities."""
    _served()  # checked at build time, so missing weights show as an unavailable tab
    with gr.Blocks() as tab:
        gr.Interface(
            numbers_summation_rnn,
            gr.Textbox(label="Sum", placeholder="34+27", info=RULE),
            [
                gr.Textbox(label="Answer"),
                gr.Dataframe(label="Character probabilities at each answer position"),
                gr.Markdown(),
            ],
            examples=[["1+20"], ["74+83"], ["3+98"]],
            cache_examples=True,
            cache_mode="lazy",  # an example's answer comes with it, from its first click
            flagging_mode="never",
            api_name=experiment.id,
        )
        model_card_panel(experiment)
    return tab
