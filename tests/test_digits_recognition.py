"""The two digit recognisers: shipped-weight quality on committed held-out digits drawn
as a visitor would, the request function, the API end to end, and training's smoke run."""

import gradio as gr
import numpy as np
import pytest
from gradio_client import handle_file

from core import DATA, ROOT
from core.drawing import to_mnist
from core.models import load_keras
from helpers import smoke_train
from training.digits_recognition import as_canvas, through_canvas
from ui import digits_recognition_tab, shared

TARGETS = {"digits_recognition_cnn": 0.990, "digits_recognition_mlp": 0.970}
MARGIN = 0.01  # 500 digits: one digit is 0.002
IDS = list(TARGETS)


@pytest.fixture(scope="module")
def heldout():
    sample = np.load(DATA / "digits_recognition" / "digits_heldout.npz")
    return sample["images"] / 255.0, sample["labels"]


def recogniser(model):
    """The tab's request function (and API) around ``model``: a drawing -> {digit: p}."""
    return shared.classifier_fn(
        model,
        digits_recognition_tab.prepare,
        digits_recognition_tab.answer,
        "recognise",
        digits_recognition_tab.DOC,
    )["fn"]


@pytest.fixture(scope="module", params=IDS)
def recognise(request):
    return request.param, recogniser(load_keras(request.param))


def accuracy(recognise, canvases, labels):
    answers = [max(recognise(c).items(), key=lambda kv: kv[1])[0] for c in canvases]
    return np.mean(np.asarray(answers, int) == labels)


def test_heldout_digits_drawn_centred_reach_the_target(recognise, heldout):
    experiment_id, fn = recognise
    images, labels = heldout
    assert accuracy(fn, [as_canvas(i) for i in images], labels) >= TARGETS[experiment_id] - MARGIN


def test_small_off_centre_thin_or_thick_drawings_are_still_recognised(recognise, heldout):
    experiment_id, fn = recognise
    images, labels = heldout
    rng = np.random.default_rng(7)
    canvases = [as_canvas(i, rng) for i in images[:200]]
    assert accuracy(fn, canvases, labels[:200]) >= TARGETS[experiment_id] - 2 * MARGIN


def test_answer_has_all_ten_probabilities(recognise, heldout):
    _, fn = recognise
    probabilities = fn(as_canvas(heldout[0][0]))
    assert sorted(probabilities) == [str(d) for d in range(10)]
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_batched_requests_get_the_answers_they_would_get_one_by_one(heldout, monkeypatch):
    # gradio's batching (HUB_MAX_BATCH > 1): one model call for a list of drawings.
    model = load_keras("digits_recognition_cnn")
    canvases = [as_canvas(image) for image in heldout[0][:5]]
    one_by_one = [recogniser(model)(canvas) for canvas in canvases]
    monkeypatch.setattr(shared, "MAX_BATCH", 8)
    batched = shared.classifier_fn(
        model, digits_recognition_tab.prepare, digits_recognition_tab.answer, "batch", ""
    )
    assert batched["batch"] is True and batched["max_batch_size"] == 8
    (answers,) = batched["fn"](canvases)
    for answer, one in zip(answers, one_by_one, strict=True):
        assert max(answer, key=answer.get) == max(one, key=one.get)
        assert answer == pytest.approx(one, abs=1e-5)


def test_tab_shows_the_network_input_dark_on_light(heldout):
    seen = digits_recognition_tab.network_input(as_canvas(heldout[0][0]))
    assert seen.shape == (140, 140) and seen.dtype == np.uint8
    assert seen[0, 0] == 255 and seen.min() == 0  # paper light, ink dark
    assert digits_recognition_tab.network_input(None) is None


def test_empty_canvas_asks_for_a_drawing(recognise):
    _, fn = recognise
    for empty in ({"background": None, "layers": [], "composite": None}, None):
        with pytest.raises(gr.Error, match="Draw a digit first"):
            fn(empty)


def test_training_canvases_go_through_the_serving_preprocessing(heldout):
    digit = heldout[0][:1]
    np.testing.assert_array_equal(through_canvas(digit)[0], to_mnist(as_canvas(digit[0])))


@pytest.mark.parametrize("experiment_id", IDS)
def test_api_recognises_every_example_digit(hub_client, experiment_id):
    for digit in range(10):
        example = ROOT / "ui" / "examples" / "digits_recognition" / f"{digit}.png"
        value = {"background": None, "layers": [], "composite": handle_file(str(example))}
        label = hub_client.predict(value, api_name=f"/{experiment_id}")
        assert label["label"] == str(digit)
        assert len(label["confidences"]) == 10


@pytest.mark.slow
@pytest.mark.parametrize("experiment_id", IDS)
def test_training_module_runs_end_to_end_on_tiny_data(experiment_id, tmp_path):
    out = smoke_train(experiment_id, tmp_path / experiment_id)
    for name in ("model.keras", "metrics.json", "README.md", "SHA256SUMS", "confusion_matrix.png"):
        assert (out / name).is_file()
