"""Objects detection (upstream experiment 7): boxes around the COCO objects in a photo or
a live webcam stream."""

from __future__ import annotations

import gradio as gr

from core import photo
from core.experiments import Experiment
from core.objects_detector import (
    IOU,
    MAX_BOXES,
    SCORE,
    detector,
    drawn,
    load_detector,
)
from core.weights import resolve
from ui.gradio_internals import with_clear_error
from ui.shared import (
    STREAMS,
    array_image,
    examples_of,
    model_card_panel,
    named,
    photo_input,
    shows_errors,
    unwrapped,
)

STREAM_EVERY = 0.1  # seconds between webcam frames (stale ones are dropped)
STREAM_LIMIT = 120  # seconds a webcam stream may run before the visitor restarts it


DOC = f"""Find the COCO objects (people, animals, vehicles...) in a photo.

Takes an image and a score threshold in (0, 1] (default {SCORE}); returns the image
with a list of boxes (x1, y1, x2, y2 in pixels), each labelled "<class> NN%"."""
WEBCAM_DOC = DOC.replace("the image\nwith a list of boxes", "the image with the boxes\ndrawn in")


def request_function(detect, names, name: str, draw: bool = False):
    """The request function named ``name``, with core's errors shown as gr.Error; with
    ``draw`` it answers one picture with the boxes drawn in (the webcam stream, WEBCAM_DOC;
    the photo's is DOC)."""
    find_objects = detector(detect, names)

    def detect_objects(image, score: float = SCORE):
        found = find_objects(image, score)
        return drawn(found) if draw else found

    return shows_errors(named(detect_objects, name))


def _slider() -> gr.Slider:
    slider = gr.Slider(0.05, 1.0, value=SCORE, step=0.05, label="Score threshold")
    return with_clear_error(slider, "The score threshold must be a number in (0, 1].")


def build(experiment: Experiment) -> gr.Blocks:
    detect, names = load_detector(resolve(experiment.id))
    detector(detect, names)(photo.warm_up_photo())  # trace the graph now, not on first visit
    # The webcam's frames go to the same SavedModel. A TensorFlow Lite conversion was
    # measured slower on a quiet machine (139 against 117 ms of CPU a call) and removed.
    with gr.Blocks() as tab:
        # The live webcam first, in sight as the tab opens; a photo under it.
        gr.Markdown(f"### Live webcam (a frame every {STREAM_EVERY} s)")
        # A stream event of its own (gradio_client cannot call a stream: it uses the
        # photo's endpoint below), with its own function object, so it never waits behind
        # photo requests, and its own slots: every visitor's stream runs at once (a live
        # gr.Interface would give the stream one slot for all visitors).
        with gr.Row():
            with gr.Column():
                camera = array_image(sources=["webcam"], streaming=True, label="Webcam")
                threshold = _slider()
            shown = gr.Image(label="Objects", format="jpeg")
        camera.stream(
            request_function(detect, names, f"{experiment.id}_webcam", draw=True),
            [camera, threshold],
            shown,
            stream_every=STREAM_EVERY,
            time_limit=STREAM_LIMIT,
            concurrency_limit=STREAMS,
            show_progress="hidden",
            api_name=f"{experiment.id}_webcam",
            api_description=unwrapped(WEBCAM_DOC),
            api_visibility="undocumented",  # a stream: not for API clients or MCP tools
        )
        gr.Markdown("### …or a photo")
        gr.Interface(
            fn=request_function(detect, names, experiment.id),
            inputs=photo_input(),
            # An additional input: the examples show the photos alone, a row of pictures,
            # each with the slider's default; the endpoint still takes (image, score).
            additional_inputs=_slider(),
            additional_inputs_accordion=gr.Accordion("Score threshold", open=False, render=False),
            outputs=gr.AnnotatedImage(label="Objects"),
            examples=[[path, SCORE] for path in examples_of("photos", "*.jpg")],
            cache_examples=True,
            cache_mode="lazy",  # an example's answer comes with it, from its first click
            flagging_mode="never",
            api_name=experiment.id,
            api_description=unwrapped(DOC),
        )
        model_card_panel(
            experiment,
            {
                "Network": "MobileNetV3-CenterNet (COCO, 80 classes), not upstream's "
                "SSDLite MobileNetV2: no registry holds SSDLite's weights",
                "Shown": f"boxes above the score threshold (default {SCORE}), non-max "
                f"suppression at IoU {IOU}, at most {MAX_BOXES}",
                "Webcam": f"the same network, a frame every {STREAM_EVERY} s, answered on "
                "the newest one; every visitor's stream runs at once",
            },
        )
    return tab
