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
    STREAM_INPUT,
    STREAM_MODEL,
    detector,
    load_detector,
    stream_frame,
)
from core.stream_worker import STALE, StreamWorker, sharing_note
from core.weights import resolve
from ui.inputs import Slider
from ui.outputs import InlineImage
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
# The capture the browser is asked for (gradio's default asks up to 1920x1440): the
# stream model's own input, so a frame is sent, decoded, drawn on and sent back as small
# as the network sees it, and never resized (512x384 cost 5 ms more a frame, issue 28).
CAPTURE = {"video": {"width": {"ideal": STREAM_INPUT[0]}, "height": {"ideal": STREAM_INPUT[1]}}}


DOC = f"""Find the COCO objects (people, animals, vehicles...) in a photo.

Takes an image and a score threshold in (0, 1] (default {SCORE}); returns the image
with a list of boxes (x1, y1, x2, y2 in pixels), each labelled "<class> NN%"."""
WEBCAM_DOC = DOC.replace("the image\nwith a list of boxes", "the image with the boxes\ndrawn in")


def request_function(detect, names, name: str):
    """The request function named ``name``, with core's errors shown as gr.Error."""
    find_objects = detector(detect, names)

    def detect_objects(image, score: float = SCORE):
        return find_objects(image, score)

    return shows_errors(named(detect_objects, name))


def stream_function(worker: StreamWorker, name: str):
    """The webcam stream's function: a frame and a threshold -> the frame with the boxes
    drawn in, answered by the one stream worker every visitor shares, and a note that
    says so when several visitors stream at once."""

    shown_notes: dict = {}  # the note each stream's page shows: sent again only when it changes

    def detect_objects(frame, score: float = SCORE, request: gr.Request = None):
        stream = getattr(request, "session_hash", None)
        picture = worker.answer(stream, (frame, score))
        if picture is STALE:  # a newer frame of this stream took its turn
            return gr.skip(), gr.skip()
        note = sharing_note(*worker.sharing(stream))
        if shown_notes.get(stream) == note:
            return picture, gr.skip()
        if len(shown_notes) > 1000:  # past streams' notes: forgotten now and then
            shown_notes.clear()
        shown_notes[stream] = note
        return picture, note

    return shows_errors(named(detect_objects, name))


def stream_model(experiment_id: str, names: list[str]):
    """The webcam stream's model, loaded and run once (by the stream worker, on the first
    frame): a (frame, threshold) job -> the frame with the boxes drawn in."""
    stream_detect, _ = load_detector(resolve(experiment_id), STREAM_MODEL)
    stream_frame(stream_detect, names, photo.warm_up_photo())
    return lambda job: stream_frame(stream_detect, names, *job)


def _slider() -> gr.Slider:
    return Slider(0.05, 1.0, value=SCORE, step=0.05, label="Score threshold")


def build(experiment: Experiment) -> gr.Blocks:
    width, height = STREAM_INPUT
    # The file is read now; its interpreter is made by the first photo (30 ms more, once):
    # about 60 MB that a hub whose visitors never send a photo does not hold.
    detect, names = load_detector(resolve(experiment.id))
    # The webcam's frames go to the same network exported at a smaller input, run by one
    # worker for every visitor's stream (core/stream_worker.py): LiteRT runs each call
    # on one thread, so the worker's threads are the streams' whole share of the cores.
    worker = StreamWorker(lambda: stream_model(experiment.id, names))
    with gr.Blocks() as tab:
        # The live webcam first, in sight as the tab opens; a photo under it.
        gr.Markdown(f"### Live webcam (a frame every {STREAM_EVERY} s)")
        # A stream event of its own (gradio_client cannot call a stream: it uses the
        # photo's endpoint below), with its own function object, so it never waits behind
        # photo requests, and its own slots: every visitor's stream runs at once (a live
        # gr.Interface would give the stream one slot for all visitors).
        with gr.Row():
            with gr.Column():
                camera = array_image(
                    sources=["webcam"],
                    streaming=True,
                    label="Webcam",
                    webcam_options=gr.WebcamOptions(constraints=CAPTURE),
                )
                threshold = _slider()
            with gr.Column():
                shown = InlineImage(label="Objects")
                sharing = gr.Markdown()
        camera.stream(
            stream_function(worker, f"{experiment.id}_webcam"),
            [camera, threshold],
            [shown, sharing],
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
                "Webcam": f"the same network at {width}x{height} (LiteRT), a frame "
                f"every {STREAM_EVERY} s, answered on the newest one; every visitor's stream "
                "shares one worker, in turn",
            },
        )
    return tab
