"""The three char-RNN generators (upstream experiments 10-12): Shakespeare, Wikipedia and
recipes, streamed into the textbox as they are sampled (core/text_generator.py)."""

from __future__ import annotations

import gradio as gr

from core.experiments import Experiment
from core.text_generator import (
    MAX_LENGTH,
    MAX_PROMPT,
    MAX_SEED,
    MAX_TEMPERATURE,
    MIN_LENGTH,
    MIN_TEMPERATURE,
    load_generator,
)
from ui import arrival
from ui.inputs import Number, Slider
from ui.shared import model_card_panel, named, shows_errors, unwrapped

DOC = f"""Continue a text with a character-level recurrent network.

Takes the start of the text (at most {MAX_PROMPT} characters), the number of
characters to add ({MIN_LENGTH}-{MAX_LENGTH}), the temperature ({MIN_TEMPERATURE}-
{MAX_TEMPERATURE}: low repeats itself, high invents) and an optional seed (the same
seed gives the same text); returns the text, streamed as it is written."""


def request_function(generator, name: str):
    """The streaming request function ``name`` (its API endpoint and MCP tool; DOC)."""

    def generate(prompt: str, length: float, temperature: float, seed: float | None = None):
        # A plain generator function, so that Gradio streams it (a callable object is
        # not recognised as one).
        yield from generator(prompt, length, temperature, seed)

    return shows_errors(named(generate, name))


def build(experiment: Experiment) -> gr.Blocks:
    # The sampler is loaded once the hub serves (core/models.py).
    generator = load_generator(experiment.id, warn=gr.Warning, deferred=True)
    arrival_text = arrival(experiment.id, ".txt").read_text()
    spec = generator.spec
    with gr.Blocks() as tab:
        gr.Interface(
            fn=request_function(generator, experiment.id),
            inputs=[
                gr.Textbox(label=spec.prompt_label, max_length=MAX_PROMPT),
                Slider(MIN_LENGTH, MAX_LENGTH, spec.length, step=100, label="Length (characters)"),
                Slider(
                    MIN_TEMPERATURE,
                    MAX_TEMPERATURE,
                    value=spec.temperature,
                    step=0.1,
                    label="Fuzziness (temperature): low repeats itself, high invents",
                ),
                Number(
                    value=None,
                    precision=0,
                    minimum=0,
                    maximum=MAX_SEED - 1,
                    label="Seed (optional: the same seed gives the same text)",
                ),
            ],
            # A text is there when the tab opens: generator.arrival_text(), kept in a file.
            outputs=gr.Textbox(arrival_text, label="Generated text", lines=12),
            examples=[[prompt, spec.length, spec.temperature, 1] for prompt in spec.examples],
            cache_examples=True,
            cache_mode="lazy",  # an example's answer comes with it, from its first click
            flagging_mode="never",
            api_name=experiment.id,
            api_description=unwrapped(DOC),
        )
        model_card_panel(
            experiment,
            {"Vocabulary": f"{len(generator.vocab)} characters (others are dropped)"},
        )
    return tab
