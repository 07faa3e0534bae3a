"""Numbers summation: the codec, the held-out split, the shipped model's sums, the tab."""

from __future__ import annotations

import json

import gradio as gr
import numpy as np
import pytest
from gradio_client.exceptions import AppError

from core import numbers_summation
from core.models import load_keras, weights_file
from training import numbers_summation_rnn
from ui.numbers_summation_rnn_tab import numbers_summation_rnn as answer_sum

BAD_INPUTS = ["", "   ", "abc", "99+99+1", "100+1", "0+5", "5+", "3-2", "1" * 10_000]


def test_questions_and_answers_round_trip_through_the_one_hot_codec():
    pairs = numbers_summation.all_pairs()
    questions, answers = (
        numbers_summation.encode_questions(pairs),
        numbers_summation.encode_answers(pairs),
    )
    assert questions.shape == (9801, numbers_summation.QUESTION_LEN, len(numbers_summation.VOCAB))
    assert answers.shape == (9801, numbers_summation.ANSWER_LEN, len(numbers_summation.VOCAB))
    for (a, b), question, answer in zip(pairs, questions, answers, strict=True):
        assert (
            numbers_summation.decode(question[::-1])
            == numbers_summation.question_text(a, b).strip()
        )  # fed reversed
        assert numbers_summation.decode(question[::-1]).replace(" ", "") == f"{a}+{b}"
        assert numbers_summation.decode(answer) == str(a + b)


def test_heldout_split_is_fixed_disjoint_and_committed():
    train, heldout = numbers_summation_rnn.split(numbers_summation.all_pairs())
    assert len(heldout) == 1960 and len(train) + len(heldout) == 9801
    assert not set(train) & set(heldout)
    committed = json.loads(weights_file(numbers_summation.ID, "heldout.json").read_text())
    assert [tuple(pair) for pair in committed] == heldout


def test_shipped_model_adds_sums_it_never_saw():
    model = load_keras(numbers_summation.ID)
    heldout = [
        tuple(p) for p in json.loads(weights_file(numbers_summation.ID, "heldout.json").read_text())
    ]
    pairs = numbers_summation.all_pairs()
    probabilities = np.asarray(model.predict_on_batch(numbers_summation.encode_questions(pairs)))
    answers = dict(zip(pairs, map(numbers_summation.decode, probabilities), strict=True))
    right = {pair: answer == str(sum(pair)) for pair, answer in answers.items()}
    exact_heldout = np.mean([right[pair] for pair in heldout])
    exact_all = np.mean(list(right.values()))
    assert exact_heldout >= 0.995
    assert exact_all >= 0.999
    # metrics.json reports what the shipped weights actually do.
    metrics = json.loads(weights_file(numbers_summation.ID, "metrics.json").read_text())
    assert metrics["exact_match_heldout"] == pytest.approx(exact_heldout, abs=1e-4)
    assert metrics["exact_match"] == pytest.approx(exact_all, abs=1e-4)


def test_answer_is_the_sum_text_with_a_probability_row_per_position():
    text, table, note = answer_sum("  74+83 ")
    assert text == "74+83 = 157"
    assert list(table["answer position"]) == ["1", "2", "3"]
    assert np.allclose(table.drop(columns="answer position").sum(axis=1), 1, atol=0.01)
    assert "right" in note


@pytest.mark.parametrize("text", BAD_INPUTS, ids=lambda t: repr(t[:12]))
def test_anything_but_two_numbers_of_up_to_two_digits_is_refused(text):
    with pytest.raises(gr.Error, match="Max 2 digits per number"):
        answer_sum(text)


@pytest.mark.slow
def test_smoke_training_writes_a_sealed_weights_folder(tmp_path):
    numbers_summation_rnn.main(["--smoke", "--out", str(tmp_path)])
    names = {path.name for path in tmp_path.iterdir()}
    assert {"model.keras", "heldout.json", "metrics.json", "README.md", "SHA256SUMS"} <= names
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0 <= metrics["exact_match_heldout"] <= 1


def test_api_returns_the_sum_text_first(hub_client):
    result = hub_client.predict("3+98", api_name=f"/{numbers_summation.ID}")
    assert result[0] == "3+98 = 101"


def test_api_refuses_a_bad_sum_with_the_rule(hub_client):
    with pytest.raises(AppError, match="Max 2 digits per number"):
        hub_client.predict("99+99+1", api_name=f"/{numbers_summation.ID}")
