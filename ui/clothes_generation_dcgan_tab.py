"""Clothes generation with a DCGAN (upstream experiment 13): a seed or a drawing -> clothes
(core/dcgan.py)."""

from __future__ import annotations

import gradio as gr

from core.dcgan import MAX_SAMPLES, MAX_SEED, generators
from core.experiments import Experiment
from core.models import later, load_keras, weights_file
from ui import arrival
from ui.inputs import Number, Slider
from ui.shared import examples_of, model_card_panel, named, shows_errors, sketchpad, unwrapped

SEEDS = [[0, 16], [42, 16], [2026, 36]]  # the noise examples: seed, number of samples
DEFAULTS = (42, 16)  # the inputs' values when the tab opens: seed, number of samples
DOC = f"""Generate clothes (Fashion-MNIST style) with a DCGAN from random noise.

Takes a seed (a whole number from 0 to {MAX_SEED:,}: the same seed gives the same
clothes) and how many to draw (1-{MAX_SAMPLES}); returns one image, a grid of them."""
DRAWING_DOC = """Generate clothes with a DCGAN, using a drawing as the noise.

Takes an image of a drawing, dark ink on light (as an MCP tool: a URL or a data: URI;
through the API: a sketchpad value with that image as its "composite"); returns the
generated clothes and the 10x10 latent vector the drawing became, as images."""


def request_functions(model, name: str):
    """The two request functions, ``name`` (DOC) and ``name``_drawing (DRAWING_DOC): API
    endpoints, MCP tools."""
    from_noise, from_drawing = generators(model)

    def from_seed(seed, count=16):
        return from_noise(seed, count)

    def drawing(value):
        return from_drawing(value)

    return shows_errors(named(from_seed, name)), shows_errors(named(drawing, f"{name}_drawing"))


def build(experiment: Experiment) -> gr.Blocks:
    model = later(load_keras, experiment.id)  # loaded once the hub serves (core/models.py)
    from_noise, from_drawing = request_functions(model, experiment.id)
    gif = weights_file(experiment.id, "training.gif")
    metrics = experiment.metrics()
    real = metrics.get("real_reference", {})
    with gr.Blocks() as tab:
        # Two sections, not tabs: the tab is already inside two levels of tabs (hub.py).
        gr.Markdown("### Generate from noise")
        with gr.Group():
            gr.Interface(
                fn=from_noise,
                inputs=[
                    Number(DEFAULTS[0], precision=0, minimum=0, maximum=MAX_SEED, label="Seed"),
                    Slider(1, MAX_SAMPLES, value=DEFAULTS[1], step=1, label="Number of samples"),
                ],
                # The grid of the inputs' defaults is there when the tab opens (kept in a
                # file by tools/make_gallery.py: the model loads once the hub serves).
                outputs=gr.Image(
                    str(arrival(experiment.id, ".png")), label="Generated clothes", format="png"
                ),
                examples=SEEDS,
                # A row of buttons that say what each example draws, not a table of numbers.
                example_labels=[f"Seed {seed}: {count} clothes" for seed, count in SEEDS],
                cache_examples=True,
                cache_mode="lazy",  # an example's answer comes with it, from its first click
                flagging_mode="never",
                api_name=experiment.id,
                api_description=unwrapped(DOC),
            )
        gr.Markdown("### Generate from drawing")
        with gr.Group():
            gr.Interface(
                fn=from_drawing,
                inputs=sketchpad("Draw anything: it becomes the noise"),
                outputs=[
                    gr.Image(label="Generated clothes", format="png"),
                    gr.Image(label="Your drawing as the 10×10 latent vector", format="png"),
                ],
                examples=examples_of(experiment.family),
                cache_examples=True,
                cache_mode="lazy",  # an example's answer comes with it, from its first click
                flagging_mode="never",
                api_name=f"{experiment.id}_drawing",
                api_description=unwrapped(DRAWING_DOC),
            )
        gr.Image(
            value=str(gif),
            type="filepath",
            label="Training progress: 16 fixed latent vectors",
            interactive=False,
            height=260,
        )
        model_card_panel(
            experiment,
            {
                "FID of real test vs real training images (the floor)": f"{real.get('fid', '?')}",
                "Confident samples (p ≥ 0.9): generated / real": (
                    f"{metrics.get('confident_share', '?')} / {real.get('confident_share', '?')}"
                ),
                "Classes covered (of 10): generated / real": (
                    f"{metrics.get('class_coverage', '?')} / {real.get('class_coverage', '?')}"
                ),
                "Feature classifier test accuracy": f"{metrics.get('classifier_test_accuracy')}",
            },
        )
    return tab
