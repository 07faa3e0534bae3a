"""Pieces every tab shares: the drawing and photo inputs, core's errors shown as
gr.Error, the one-input classifier function, the header and the model-card panel."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import numpy as np

from core.errors import BadInput, ModelUnavailable
from core.experiments import DISCLAIMER, Experiment
from core.models import predict_one
from ui.inputs import Drawing, Image

EXAMPLES = Path(__file__).parent / "examples"

# Gradio's batching for the drawing and photo classifiers: with HUB_MAX_BATCH > 1, up to
# that many queued requests to one model share one call. Off by default: bench/load.py
# --batch measured no gain here, and one bad request in a batch fails the whole batch.
MAX_BATCH = int(os.environ.get("HUB_MAX_BATCH", "1"))
# Webcam streams served at once, per stream event (each visitor's stream holds a slot
# while it runs, up to its time limit or hub.STREAM_IDLE s without a frame): different
# visitors' streams run side by side, each answered on its newest frame.
STREAMS = int(os.environ.get("HUB_STREAMS", "8"))


def examples_of(family: str, pattern: str = "*.png") -> list[str]:
    """The example files of a family's tab, ``ui/examples/<family>/``, sorted."""
    return sorted(str(path) for path in (EXAMPLES / family).glob(pattern))


def shows_errors(fn: Callable) -> Callable:
    """``fn`` with core's ``BadInput`` and ``ModelUnavailable`` shown to the visitor as a
    gr.Error; the same name, docstring and signature (gradio reads them), generator
    functions stay generators."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except (BadInput, ModelUnavailable) as error:
                raise gr.Error(str(error)) from None

        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (BadInput, ModelUnavailable) as error:
            raise gr.Error(str(error)) from None

    return call


def named(fn: Callable, name: str) -> Callable:
    """``fn`` named ``name``. Kept rather than a gradio parameter: gradio 6.31 names an
    endpoint's MCP tool after its function's ``__name__``, whatever its ``api_name``, and
    has no parameter for the tool's name (gr.mcp.prompt's ``name`` is for prompts only)."""
    fn.__name__ = fn.__qualname__ = name
    return fn


def unwrapped(doc: str) -> str:
    """``doc`` with its lines joined, as gradio joins a docstring's: an endpoint's
    ``api_description`` (its API page text and MCP tool description)."""
    return " ".join(doc.split())


def classifier_fn(model, prepare, answer, name: str, doc: str) -> dict:
    """gr.Interface's ``fn`` for a one-input classifier, named ``name`` (its API endpoint
    and MCP tool), with its ``api_description``, ``doc`` (the tool's description for an
    agent).

    ``prepare(value)`` is the model's input for one request (BadInput on bad input),
    ``answer(probabilities)`` the output shown for one. With MAX_BATCH > 1 it is a gradio
    batch function (a list of values in, one model call) with its batch arguments.
    """
    if MAX_BATCH == 1:

        def classify(value):
            return answer(predict_one(model, prepare(value)))

        fn, extra = classify, {}
    else:

        def classify(values: list) -> list[list]:
            x = np.stack([prepare(value) for value in values])
            return [[answer(row) for row in np.asarray(model.predict_on_batch(x))]]

        fn, extra = classify, {"batch": True, "max_batch_size": MAX_BATCH}
    return {"fn": shows_errors(named(fn, name)), "api_description": unwrapped(doc), **extra}


def follow_drawing(pad: gr.Sketchpad, label: gr.Label, model, prepare, answer) -> None:
    """Answer while the visitor draws: ``label`` shows the model's answer after each
    stroke on ``pad``, with no Submit (kept for the API). A UI-only event on ``change``
    (gradio's sketchpad fires it once a stroke ends; its ``input`` skips the first
    stroke); "always_last" keeps only the latest drawing queued behind a running
    prediction, so a burst of strokes costs one more prediction, not one each. An emptied
    canvas clears the label, without an error."""

    def follow(drawing):
        try:
            x = prepare(drawing)
        except BadInput:
            return None
        return answer(predict_one(model, x))

    pad.change(
        follow,
        pad,
        label,
        trigger_mode="always_last",
        show_progress="hidden",
        api_visibility="private",
    )


# The class of every drawing canvas: BRUSH_FIRST finds the canvases by it.
DRAWING = "drawing"
# The page's script (hub.launch passes it as launch(js=...)): gradio 6.31 opens a sketchpad
# with no tool chosen ("select the draw tool to start", a stroke draws nothing) and has no
# parameter for the starting tool. Whenever a canvas is on the page with no tool chosen
# (gradio adds a tab's canvas when the tab first opens), this clicks its first tool, the
# brush. It relies on gradio's DOM: the tools are the buttons of the first
# `.half-container` in the editor's `.toolbar-wrap`, the brush first (the image tool,
# before it, exists only with sources), and the chosen one has the class `highlight`.
# Found by position, not by its label: gradio translates "Brush". A visitor's own choice
# (the eraser) has the highlight and stays. tests/test_first_minute.py draws without a click.
BRUSH_FIRST = f"""() => {{
  const chooseBrush = () => {{
    for (const tools of document.querySelectorAll(
      ".{DRAWING} .toolbar-wrap > .half-container:first-child"
    )) {{
      if (!tools.querySelector("button.highlight")) tools.querySelector("button")?.click();
    }}
  }};
  new MutationObserver(chooseBrush).observe(document.body, {{ childList: true, subtree: true }});
}}"""


def sketchpad(label: str, brush_size: int = 24) -> gr.Sketchpad:
    """A white canvas with a thick black brush, shared by every drawing tab, that draws at
    the first touch (BRUSH_FIRST chooses the brush).

    The function gets a dict whose "composite" is the drawing (RGBA, opaque); pass it to
    core.drawing.to_mnist.
    """
    return Drawing(  # gr.Sketchpad's settings: no image sources, one fixed colour
        label=label,
        canvas_size=(400, 400),
        brush=gr.Brush(default_size=brush_size, colors=["#000000"], color_mode="fixed"),
        sources=(),
        transforms=("crop",),
        type="numpy",
        elem_classes=DRAWING,
    )


def photo_input(label: str = "Photo") -> gr.Image:
    """The photo input of every photo tab (upload, webcam snapshot or paste). It hands the
    function the file exactly as sent (core.photo.open_photo reads it), and turns a file
    Pillow cannot even open into a clear gr.Error: gradio's own preprocessing would
    otherwise fail with a generic "Error" before our code runs. Only the visitor's own
    upload is opened, and only up to core.photo.MAX_PIXELS (ui/inputs.py)."""
    return Image(
        sources=["upload", "webcam", "clipboard"], type="filepath", image_mode=None, label=label
    )


def array_image(**options) -> gr.Image:
    """A gr.Image that hands the function a numpy array (webcam streams, the
    rock-paper-scissors photo): the same checks as photo_input, but gradio decodes these
    in full, so the limit is DECODED_MAX_PIXELS."""
    return Image(type="numpy", **options)


def model_card_panel(experiment: Experiment, extra: dict[str, str] | None = None) -> None:
    """A short panel of the model-card figures, inside the current Blocks."""
    metrics = experiment.metrics()  # read once: each read verifies the weights' checksums
    rows = [
        ("Data", experiment.filled(experiment.data_text, metrics)),
        (experiment.filled(experiment.label_text, metrics), experiment.figure(metrics)),
        ("Upstream", experiment.upstream),
    ]
    for key in ("train_size", "test_size", "params"):
        if key in metrics:
            rows.append((key.replace("_", " ").capitalize(), f"{metrics[key]:,}"))
    rows += list((extra or {}).items())
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    with gr.Accordion("Model card", open=False):
        gr.Markdown(
            f"| | |\n|---|---|\n{table}\n\nFull card: `weights/{experiment.id}/README.md`. "
            f"{DISCLAIMER}"
        )


def unavailable(error: Exception) -> gr.Blocks:
    """The tab shown when an experiment cannot be served (under its header): says why."""
    with gr.Blocks() as tab:
        gr.Markdown(f"⚠️ **This experiment is unavailable.** {error}")
    return tab
