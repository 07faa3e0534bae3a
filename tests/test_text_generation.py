"""The three char-RNN generators: the vocabulary (the one text -> ids function), the
compiled sampler against the Keras model, the recipe text form, the shipped models'
requests (prompt kept, length, seeds, bad inputs), the API end to end and training's
smoke run."""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from core import DATA, text_generator
from core.charrnn import Sampler, Vocabulary
from core.errors import BadInput
from core.models import load_keras
from core.weights import resolve
from training.text_generation import (
    build_model,
    recipe_text,
    sequences,
    split_documents,
    stream_ids,
)
from ui import arrival

IDS = list(text_generator.SPECS)
PLAIN = ["text_generation_shakespeare_rnn", "text_generation_wikipedia_rnn"]
HELD_OUT = DATA / "text_generation" / "text_heldout.json"


# ---------------------------------------------------------------- vocabulary and sampler


def test_vocabulary_round_trips_text_and_its_file(tmp_path):
    text = "📗 Banana bread\n\n🥕\n\n• 2 bananas\n␣"
    vocab = Vocabulary.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    vocab.save(tmp_path)
    again = Vocabulary.load(tmp_path)
    assert again.chars == vocab.chars
    assert again.decode(again.encode(text)) == text


def test_characters_outside_the_vocabulary_are_dropped_and_named():
    vocab = Vocabulary.from_text("hello world")
    cleaned = vocab.clean("hello😀 w\x07orld😀!")
    assert cleaned.text == "hello world"
    assert cleaned.dropped == "😀\x07!"


def test_rare_characters_stay_out_of_the_vocabulary():
    vocab = Vocabulary.from_text("aaab", min_count=2)
    assert vocab.chars == ["a"]


def test_compiled_sampler_computes_the_same_logits_as_the_keras_model():
    vocab = Vocabulary.from_text("abcdefgh ")
    model = build_model(len(vocab), embedding=8, units=16, layers=2, dropout=0.1)
    text = "a bad cafe"
    expected = np.asarray(model(vocab.encode(text)[None], training=False))[0, -1]
    np.testing.assert_allclose(Sampler(model, vocab).logits_after(text), expected, atol=1e-5)


def test_streamed_chunks_add_up_to_the_whole_generation():
    vocab = Vocabulary.from_text("abcdefgh ")
    sampler = Sampler(build_model(len(vocab), 8, 16), vocab)
    whole = sampler.generate("ab", 120, 1.0, seed=3, chunk=120)
    assert "".join(sampler.stream("ab", 120, 1.0, seed=3, chunk=7)) == whole
    assert len(whole) == 120


# ---------------------------------------------------------------- data


def test_recipe_text_form_is_upstreams():
    text = recipe_text(" Toast ", ["1 slice bread", " "], ["Toast it.", "Eat it."])
    assert text == "📗 Toast\n\n🥕\n\n• 1 slice bread\n\n📝\n\n▪︎ Toast it.\n▪︎ Eat it.\n␣"


def test_validation_and_test_documents_are_whole_disjoint_and_at_least_five_percent():
    documents = [f"document {i}" for i in range(154)]
    train, held, test = split_documents(documents, 0.05, 0.05)
    assert not set(train) & set(held) and not set(train) & set(test)
    assert not set(held) & set(test)
    assert sorted(train + held + test) == sorted(documents)
    assert min(len(held), len(test)) >= 0.05 * len(documents)


def test_a_test_share_leaves_the_validation_documents_as_they_were():
    documents = [f"document {i}" for i in range(154)]
    train, held, test = split_documents(documents, 0.05)
    assert test == [] and len(train) + len(held) == 154
    assert split_documents(documents, 0.05, 0.05)[1] == held


def test_recipe_output_gets_section_labels_and_no_repeated_ingredients():
    raw = recipe_text("Toast", ["bread", "butter", "bread"], ["Toast it."]) + "📗 Next"
    assert text_generator.format_recipe(raw) == (
        "📗 NAME\n\nToast\n\n🥕 INGREDIENTS\n\n• bread\n• butter\n\n"
        "📝 INSTRUCTIONS\n\n▪︎ Toast it.\n"
    )


def test_recipe_prompt_is_trimmed_and_capitalised():
    assert text_generator.recipe_title("  banana bread ") == "📗 Banana bread"
    assert text_generator.recipe_title("") == "📗 "


# ---------------------------------------------------------------- shipped models


@pytest.fixture(scope="module", params=IDS)
def generator(request):
    return text_generator.load_generator(request.param, warn=warnings.warn)


@pytest.fixture(scope="module", params=PLAIN)
def plain(request):
    return text_generator.load_generator(request.param, warn=warnings.warn)


def test_the_text_a_tab_opens_with_is_the_served_models(generator):
    # Kept in ui/gallery by tools/make_gallery.py: the tab opens before its model loads.
    (experiment_id,) = [i for i in IDS if text_generator.SPECS[i] is generator.spec]
    kept = arrival(experiment_id, ".txt").read_text()
    assert len(kept) > 100 and kept == generator.arrival_text()


@pytest.mark.parametrize("length", [100, 400, 1400])
def test_text_starts_with_the_cleaned_prompt_and_has_the_requested_length(plain, length):
    with pytest.warns(UserWarning, match="Dropped characters .*'😀', '\\\\x07'"):
        text = plain.text("Hello😀, \x07world", length, 0.6, seed=5)
    assert text.startswith("Hello, world")
    assert len(text) == len("Hello, world") + length


def test_same_seed_gives_the_same_text_and_another_seed_another(generator):
    prompt = generator.spec.examples[0]
    first = generator.text(prompt, 300, 1.0, seed=11)
    assert generator.text(prompt, 300, 1.0, seed=11) == first
    assert generator.text(prompt, 300, 1.0, seed=12) != first


def test_text_streams_in_growing_pieces(generator):
    pieces = list(generator(generator.spec.examples[0], 400, 0.6, 1))
    assert len(pieces) >= 3
    assert all(len(a) <= len(b) for a, b in zip(pieces, pieces[1:], strict=False))


def test_defaults_are_upstreams_except_shakespeares_looping_temperature():
    assert [(s.length, s.temperature) for s in text_generator.SPECS.values()] == [
        (400, 0.5),  # upstream's 0.1 loops: "shall shall shall shall"
        (400, 0.4),
        (800, 0.6),
    ]


def longest_word_run(text: str) -> int:
    """How many times one word comes in a row, at most (case and punctuation ignored)."""
    words = re.findall(r"[a-z']+", text.lower())
    longest = run = min(len(words), 1)
    for previous, word in zip(words, words[1:], strict=False):
        run = run + 1 if word == previous else 1
        longest = max(longest, run)
    return longest


def test_word_runs_are_counted_across_punctuation_and_case():
    assert longest_word_run("The beauty shall shall, Shall shall still") == 4
    assert longest_word_run("a b a b") == 1 and longest_word_run("") == 0


def test_default_settings_never_repeat_a_word_more_than_three_times_in_a_row(generator):
    """400 characters at the default temperature, over several seeds and prompts."""
    spec = generator.spec
    for prompt in spec.examples[:2]:
        for seed in range(4):
            text = generator.text(prompt, 400, spec.temperature, seed)
            assert longest_word_run(text[len(prompt) :]) <= 3, (prompt, seed, text)


# Loss in nats per character, against the best character-frequency (unigram) model of
# the same text (about 3.1-3.3 nats; an untrained network scores ln(vocabulary), over 4).
# The text is committed by data/text_generation/make_text_heldout.py:
# - text_heldout.json: validation documents. Training held them out of its batches but
#   chose its best epoch by their loss, so this checks the choice, not generalisation.
#   Ceilings sit above what the shipped models reach (1.64, 1.57, 1.24).
# - text_test.json: text training never read, not even to choose an epoch. The sonnets'
#   and Wikipedia's test shares were written and committed, with these ceilings, before
#   the models were trained on the rest; the recipes' are the 54 Wikibooks recipes over
#   2,000 characters, which the corpus drops before its split (the model: 1.258 nats).
HELD_OUT_CEILING = {
    "text_generation_shakespeare_rnn": 1.85,
    "text_generation_wikipedia_rnn": 1.80,
    "recipe_generation_rnn": 1.45,
}
NEVER_READ = DATA / "text_generation" / "text_test.json"
NEVER_READ_CEILING = {
    "text_generation_shakespeare_rnn": 1.90,
    "text_generation_wikipedia_rnn": 1.80,
    "recipe_generation_rnn": 1.40,
}


def losses(experiment_id: str, path: Path) -> tuple[float, float]:
    """(the model's mean loss, the unigram entropy) on the text of ``path`` for the
    experiment, nats per character."""
    documents = json.loads(path.read_text())[experiment_id]
    vocab = Vocabulary.load(resolve(experiment_id))
    ids = stream_ids(documents, vocab, text_generator.SPECS[experiment_id].context)
    frequencies = np.bincount(ids)[np.bincount(ids) > 0] / len(ids)
    unigram = float(-(frequencies * np.log(frequencies)).sum())
    x, y = sequences(ids, 100)
    model, total = load_keras(experiment_id), 0.0
    for start in range(0, len(x), 256):
        logits = np.asarray(model.predict_on_batch(x[start : start + 256]), np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        chosen = y[start : start + 256, ..., None]
        total -= np.take_along_axis(log_probabilities, chosen, -1).sum()
    return float(total / y.size), unigram


@pytest.mark.parametrize("experiment_id", IDS)
def test_shipped_model_predicts_validation_text_far_better_than_character_frequencies(
    experiment_id,
):
    loss, unigram = losses(experiment_id, HELD_OUT)
    ceiling = HELD_OUT_CEILING[experiment_id]
    assert unigram > 2.9 and ceiling < 0.6 * unigram  # the ceiling is well below the baseline
    assert loss <= ceiling


@pytest.mark.parametrize("experiment_id", list(NEVER_READ_CEILING))
def test_shipped_model_predicts_text_training_never_read(experiment_id):
    loss, unigram = losses(experiment_id, NEVER_READ)
    ceiling = NEVER_READ_CEILING[experiment_id]
    assert unigram > 2.9 and ceiling < 0.62 * unigram
    assert loss <= ceiling


def test_an_empty_recipe_prompt_writes_a_whole_labelled_recipe():
    recipes = text_generator.load_generator("recipe_generation_rnn")
    text = recipes.text("", 800, 0.6, seed=2)
    assert text.startswith("📗 NAME\n\n")
    assert "🥕 INGREDIENTS" in text and "␣" not in text
    banana = recipes.text("  banana", 100, 0.6, seed=2)
    assert banana.startswith("📗 NAME\n\nBanana")


@pytest.mark.parametrize(
    "prompt, length, temperature, seed, message",
    [
        ("Hello", 1401, 0.4, None, "Length must be"),
        ("Hello", 99, 0.4, None, "Length must be"),
        ("Hello", "many", 0.4, None, "Length must be"),
        ("Hello", 400, -0.5, None, "temperature"),
        ("Hello", 400, 0, None, "temperature"),
        ("Hello", 400, 1.5, None, "temperature"),
        ("Hello", 400, float("nan"), None, "temperature"),
        ("Hello", 400, 0.4, -1, "Seed must be"),
        ("Hello", 400, 0.4, 1.5, "Seed must be"),
        pytest.param("x" * 100_000, 400, 0.4, None, "too long", id="100kB-prompt"),
        pytest.param("😀😀\x00\x07", 400, 0.4, None, "Type a few words", id="emoji-and-controls"),
        ("", 400, 0.4, None, "Type a few words"),
    ],
)
def test_bad_inputs_get_a_clear_error(plain, prompt, length, temperature, seed, message):
    with pytest.raises(BadInput, match=message):
        plain.text(prompt, length, temperature, seed)


def test_metrics_report_validation_loss_beside_upstreams_labelled_not_comparable():
    for experiment_id in IDS:
        metrics = json.loads((resolve(experiment_id) / "metrics.json").read_text())
        assert metrics["validation_perplexity"] == pytest.approx(
            np.exp(metrics["validation_loss_per_char"]), rel=1e-3
        )
        assert metrics["validation_documents"] >= 0.05 * (
            metrics["validation_documents"] + metrics["train_documents"]
        )
        assert "NOT comparable" in metrics["upstream_train_loss_note"]


# ---------------------------------------------------------------- end to end and training


@pytest.mark.parametrize("experiment_id", IDS)
def test_api_takes_prompt_length_temperature_and_returns_the_text(hub_client, experiment_id):
    prompt = text_generator.SPECS[experiment_id].examples[0]
    text = hub_client.predict(prompt, 200, 0.4, api_name=f"/{experiment_id}")
    assert isinstance(text, str)
    assert prompt.strip() in text
    if experiment_id in PLAIN:
        assert len(text) == len(prompt) + 200


def test_api_refuses_a_length_above_the_maximum(hub_client):
    with pytest.raises(Exception, match="Length|1400|maximum"):
        hub_client.predict("Hello", 5000, 0.4, api_name="/text_generation_shakespeare_rnn")


@pytest.mark.slow
def test_training_smoke_run_writes_a_complete_weights_folder(tmp_path):
    from training.text_generation import train
    from training.text_generation_shakespeare_rnn import CONFIG

    metrics = train(CONFIG, ["--smoke", "--out", str(tmp_path)])
    names = {path.name for path in tmp_path.iterdir()}
    assert {"model.keras", "vocab.json", "metrics.json", "README.md", "SHA256SUMS"} <= names
    assert metrics["validation_loss_per_char"] > 0
