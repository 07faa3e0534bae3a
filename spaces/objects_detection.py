"""Objects detection (upstream experiment 7): boxes around the COCO objects in a photo or
a live webcam stream.

Serves the MobileNetV3-CenterNet converted from TF.js (training/objects_detection.py):
the photo is resized to 512x512 (0..255), the network proposes 100 boxes, and this module
keeps those above the score threshold after non-max suppression, in photo pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np

from spaces import photos
from spaces.common import Experiment, model_card_panel, tab_header, with_clear_error
from spaces.weights import resolve

ID = "objects_detection"
SIZE = 512  # the network's input side
SCORE = 0.3  # upstream: 0.3 in the notebook, 0.2 on the demo page
IOU = 0.5  # upstream's demo page
MAX_BOXES = 20  # upstream's demo page
EXAMPLES = Path(__file__).parent / "examples" / "photos"

EXPERIMENTS = [
    Experiment(
        id=ID,
        title="Objects detection (CenterNet)",
        description=(
            "Upload a photo or turn on the webcam: a network pretrained on COCO boxes "
            "people, animals, vehicles and everyday objects (80 classes)."
        ),
        input_kind="Image or live webcam",
        data="COCO 2017 (pretrained MobileNetV3-CenterNet, converted from TF.js)",
        metric="photos_correct",
        metric_label="Conversion check: known photos right (of 3)",
        upstream="SSDLite MobileNetV2 (COCO), no metric; bicycle.jpg -> car, person, bicycle",
    )
]


def load_detector(folder: Path):
    """The SavedModel's detect function and the 80 COCO class names."""
    import tensorflow as tf

    detect = tf.saved_model.load(str(folder / "saved_model"))
    names = json.loads((folder / "labels.json").read_text())
    return detect, names


def detections(detect, image, score: float = SCORE) -> list[tuple[np.ndarray, float, int]]:
    """(box x1, y1, x2, y2 in the image's pixels, score, class) of the objects in an RGB
    PIL image, best first, after score threshold and class-agnostic non-max suppression."""
    import tensorflow as tf

    x = photos.square(image, SIZE, crop=False).astype(np.float32)[None]
    rows = np.asarray(detect(tf.constant(x)))[0]
    rows = rows[np.isfinite(rows).all(axis=1) & (rows[:, 4] >= score)]
    boxes = rows[:, [1, 0, 3, 2]]  # y1, x1, y2, x2 as TensorFlow's NMS wants
    keep = tf.image.non_max_suppression(boxes, rows[:, 4], MAX_BOXES, IOU).numpy()
    width, height = image.size
    scale = np.array([width, height, width, height], np.float32) / SIZE
    return [(rows[i, :4] * scale, float(rows[i, 4]), int(rows[i, 5])) for i in keep]


def detector(detect, names: list[str]):
    """The request function: a photo and a score threshold -> the AnnotatedImage value,
    labels "<class> NN%"."""

    def find_objects(photo: photos.PhotoValue, score: float = SCORE):
        score = float(score)
        if not 0.0 < score <= 1.0:
            raise gr.Error(f"The score threshold must be in (0, 1], not {score}.")
        image = photos.open_photo(photo)
        width, height = image.size
        annotations = []
        for box, probability, cls in detections(detect, image, score):
            x1, y1 = int(max(box[0], 0)), int(max(box[1], 0))
            x2, y2 = int(min(box[2], width - 1)), int(min(box[3], height - 1))
            annotations.append(((x1, y1, x2, y2), f"{names[cls]} {probability:.0%}"))
        return np.asarray(image), annotations

    return find_objects


def _slider() -> gr.Slider:
    slider = gr.Slider(0.05, 1.0, value=SCORE, step=0.05, label="Score threshold")
    return with_clear_error(slider, "The score threshold must be a number in (0, 1].")


def build(experiment: Experiment) -> gr.Blocks:
    detect, names = load_detector(resolve(experiment.id))
    find_objects = detector(detect, names)
    find_objects(photos.warm_up_photo())  # trace the graph now, not on the first visit
    with gr.Blocks() as tab:
        tab_header(experiment)
        gr.Markdown("### A photo")
        gr.Interface(
            fn=find_objects,
            inputs=[
                photos.photo_input(),
                _slider(),
            ],
            outputs=gr.AnnotatedImage(label="Objects"),
            examples=[[str(p), SCORE] for p in sorted(EXAMPLES.glob("*.jpg"))],
            cache_examples=False,
            flagging_mode="never",
            api_name=experiment.id,
        )
        gr.Markdown("### Live webcam (a frame every 0.25 s)")
        # A second function object: its own queue slot, so the stream never waits behind
        # photo requests (gradio_client cannot call a stream: it uses the endpoint above).
        gr.Interface(
            fn=detector(detect, names),
            inputs=[
                gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Webcam"),
                _slider(),
            ],
            outputs=gr.AnnotatedImage(label="Objects"),
            live=True,
            stream_every=0.25,
            time_limit=120,
            flagging_mode="never",
            api_name=f"{experiment.id}_webcam",
        )
        model_card_panel(
            experiment,
            {
                "Network": "MobileNetV3-CenterNet (COCO, 80 classes), not upstream's "
                "SSDLite MobileNetV2: no registry holds SSDLite's weights",
                "Shown": f"boxes above the score threshold (default {SCORE}), non-max "
                f"suppression at IoU {IOU}, at most {MAX_BOXES}",
            },
        )
    return tab
