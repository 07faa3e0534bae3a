"""The three char-RNN generators (upstream experiments 10-12) without the UI: Shakespeare,
Wikipedia and recipes, differing only in their model, defaults and the recipes' tidying.

A request: the prompt is reduced to the model's vocabulary (dropped characters reported to
``warn``), fed through the network, then ``length`` characters are sampled at the given
temperature and streamed in chunks (core/charrnn.py); the same seed gives the same text.
Inputs out of range (MIN_LENGTH and the other limits below, an empty prompt where upstream
required one, a seed that is not a whole number >= 0) raise ``BadInput``.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.charrnn import STOP, Sampler, Vocabulary
from core.errors import BadInput
from core.models import later, load_keras
from core.weights import resolve

MIN_LENGTH, MAX_LENGTH = 100, 1400
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.1, 1.4
MAX_PROMPT = 1000  # characters; a longer prompt gets an error, not a silent cut
MAX_SEED = 2**62
CHUNK = 200  # characters per streamed update (each is one compiled call)

# Upstream's recipe text form (training/text_generation.py writes the corpus in it).
TITLE_MARK, INGREDIENTS_MARK, STEPS_MARK, INGREDIENT_BULLET = "📗", "🥕", "📝", "• "


@dataclass(frozen=True)
class Spec:
    """How one generator differs from the others (upstream's defaults and examples)."""

    length: int
    temperature: float
    examples: tuple[str, ...]
    prompt_label: str
    context: str  # what precedes every document in training: fed before the prompt
    recipe: bool = False


# Default temperatures: upstream's, except Shakespeare's 0.1, at which the model loops
# ("shall shall shall shall"): at 0.5 no word comes more than twice in a row over 24
# seeds and prompts (0.3: three times). tests/test_text_generation.py checks the defaults.
SPECS = {
    "text_generation_shakespeare_rnn": Spec(
        400, 0.5, ("Hello, ", "I love you", "How come"), "Start of the text", "\n\n"
    ),
    "text_generation_wikipedia_rnn": Spec(
        400, 0.4, ("Science is", "Up to date", "Event"), "Start of the text", "\n\n"
    ),
    "recipe_generation_rnn": Spec(
        800,
        0.6,
        ("Banana", "Mushroom", "Sweet", "Orange", "A", ""),
        "Start of the recipe's title (may be empty)",
        STOP,
        recipe=True,
    ),
}

# ---------------------------------------------------------------- inputs and outputs


def check_length(length) -> int:
    try:
        value = float(length)
    except (TypeError, ValueError):
        value = math.nan
    if not (MIN_LENGTH <= value <= MAX_LENGTH):
        raise BadInput(
            f"Length must be from {MIN_LENGTH} to {MAX_LENGTH} characters (got {length})."
        )
    return int(value)


def check_temperature(temperature) -> float:
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        value = math.nan
    if not (MIN_TEMPERATURE - 1e-9 <= value <= MAX_TEMPERATURE + 1e-9):
        raise BadInput(
            f"Fuzziness (temperature) must be from {MIN_TEMPERATURE} to {MAX_TEMPERATURE} "
            f"(got {temperature})."
        )
    return value


def check_seed(seed) -> int:
    """A given seed, or a fresh random one when the field is empty."""
    if seed is None or seed == "":
        return secrets.randbelow(MAX_SEED)
    try:
        value = float(seed)
    except (TypeError, ValueError):
        value = math.nan
    if not (value.is_integer() and 0 <= value < MAX_SEED):
        raise BadInput(
            f"Seed must be a whole number from 0 to {MAX_SEED - 1}, or empty (got {seed})."
        )
    return int(value)


def recipe_title(prompt: str) -> str:
    """Upstream's recipe prompt: the title trimmed, capitalised, after the 📗 mark."""
    title = prompt.strip()
    return f"{TITLE_MARK} {title[:1].upper()}{title[1:]}"


def format_recipe(text: str) -> str:
    """Upstream's post-processing: cut at the stop character (or a next recipe), label
    the sections and drop repeated ingredient lines."""
    text = text.split(STOP)[0]
    next_recipe = text.find(TITLE_MARK, 1)
    if next_recipe > 0:
        text = text[:next_recipe]
    text = text.replace(f"{TITLE_MARK} ", f"{TITLE_MARK} NAME\n\n", 1)
    text = text.replace(f"\n{INGREDIENTS_MARK}\n", f"\n{INGREDIENTS_MARK} INGREDIENTS\n", 1)
    text = text.replace(f"\n{STEPS_MARK}\n", f"\n{STEPS_MARK} INSTRUCTIONS\n", 1)
    seen, lines = set(), []
    for line in text.split("\n"):
        if line.startswith(INGREDIENT_BULLET):
            if line in seen:
                continue
            seen.add(line)
        lines.append(line)
    return "\n".join(lines).rstrip() + "\n"


def shown(chars: str) -> str:
    """Dropped characters as a person can read them (control characters escaped)."""
    return ", ".join(repr(char) if not char.isprintable() else f"'{char}'" for char in chars)


SAMPLE_LENGTH = 200  # characters of the arrival text: 0.1 s a hundred on the 2-core machine


class Generator:
    """The request function of one tab: (prompt, length, temperature, seed) -> text stream."""

    def __init__(
        self,
        sampler: Sampler,
        vocab: Vocabulary,
        spec: Spec,
        warn: Callable[[str], None] | None = None,
    ):
        self.sampler = sampler  # may be deferred (core/models.py): read only by a request
        self.vocab = vocab
        self.spec = spec
        self.warn = warn or (lambda message: None)  # told which characters were dropped

    def start(self, prompt: str | None) -> str:
        """The cleaned prompt the text will start with (raises BadInput when unusable)."""
        prompt = prompt or ""
        if len(prompt) > MAX_PROMPT:
            raise BadInput(
                f"The prompt is too long ({len(prompt):,} characters; at most {MAX_PROMPT})."
            )
        if self.spec.recipe:
            prompt = recipe_title(prompt)
        cleaned = self.vocab.clean(prompt)
        if cleaned.dropped:
            self.warn(f"Dropped characters the model does not know: {shown(cleaned.dropped)}")
        if not cleaned.text.strip():
            raise BadInput("Type a few words to start from (letters, digits and punctuation).")
        return cleaned.text

    def __call__(
        self, prompt: str | None, length=None, temperature=None, seed=None
    ) -> Iterator[str]:
        spec = self.spec
        length = check_length(spec.length if length is None else length)
        temperature = check_temperature(spec.temperature if temperature is None else temperature)
        seed = check_seed(seed)
        text = start = self.start(prompt)
        stop = STOP if spec.recipe else None
        yield format_recipe(text) if spec.recipe else text
        pieces = self.sampler.stream(start, length, temperature, seed, CHUNK, stop, spec.context)
        for piece in pieces:
            text += piece
            yield format_recipe(text) if spec.recipe else text

    def text(self, prompt: str | None, length=None, temperature=None, seed=None) -> str:
        """The final text at once (what the API returns)."""
        *_, last = self(prompt, length, temperature, seed)
        return last

    def arrival_text(self) -> str:
        """The text the tab shows when it opens: the first example prompt continued,
        seed 1 (tools/make_gallery.py keeps it in ui/gallery/)."""
        spec = self.spec
        return self.text(spec.examples[0] or "A", SAMPLE_LENGTH, spec.temperature, 1)


def load_sampler(experiment_id: str) -> Sampler:
    """Model and vocabulary from the weight store, the sampler's graphs traced by
    sampling the arrival text once."""
    sampler = Sampler(load_keras(experiment_id), Vocabulary.load(resolve(experiment_id)))
    Generator(sampler, sampler.vocab, SPECS[experiment_id]).arrival_text()
    return sampler


def load_generator(
    experiment_id: str, warn: Callable[[str], None] | None = None, deferred: bool = False
) -> Generator:
    """The experiment's generator; ``deferred``: its sampler loaded on first use or once the
    hub serves (core/models.py, ``later``)."""
    sampler = later(load_sampler, experiment_id) if deferred else load_sampler(experiment_id)
    vocab = Vocabulary.load(resolve(experiment_id))
    return Generator(sampler, vocab, SPECS[experiment_id], warn)
