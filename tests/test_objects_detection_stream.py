"""The webcam stream's detector (weights/objects_detection/stream.tflite, TensorFlow Lite
run by XNNPACK; training/objects_detection_stream.py) keeps what the full SavedModel
finds: on the example photos and on held-out photos (tests/data/heldout_photos/, other
photos of the scikit-image wheel's data folder, never used to choose the stream model),
the same classes, each box at IoU >= 0.7 with the full model's, both ways."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from conftest import DATA, ROOT

FOLDER = ROOT / "weights" / "objects_detection"
PHOTOS = sorted((ROOT / "ui" / "examples" / "photos").glob("*.jpg")) + sorted(
    (DATA / "heldout_photos").glob("*.jpg")
)
MIN_IOU = 0.7


def iou(a, b) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def models():
    from core import objects_detector

    full, names = objects_detector.load_detector(FOLDER)
    stream, stream_names = objects_detector.load_stream_detector(FOLDER)
    assert stream_names == names
    return full, stream


@pytest.mark.parametrize("score", [0.3, 0.15])
def test_the_stream_model_finds_what_the_full_model_finds(models, score):
    from core.objects_detector import detections

    full, stream = models
    assert len(PHOTOS) >= 9  # 5 examples + 4 held out
    compared = 0
    for path in PHOTOS:
        image = Image.open(path).convert("RGB")
        found = {"full": detections(full, image, score), "stream": detections(stream, image, score)}
        assert sorted(c for _, _, c in found["full"]) == sorted(c for _, _, c in found["stream"]), (
            path.name
        )
        for mine, other in (("full", "stream"), ("stream", "full")):
            for box, _, cls in found[mine]:
                best = max(iou(box, b) for b, _, c in found[other] if c == cls)
                assert best >= MIN_IOU, f"{path.name}: a {cls} box of the {mine} model"
                compared += 1
    assert compared >= 2 * 8  # boxes were compared, not an empty answer everywhere


def test_the_stream_model_answers_several_frames_at_once(models):
    """Its interpreters are pooled: frames of several visitors at once all get answers,
    each the same as alone."""
    _, stream = models
    from core import photo
    from core.objects_detector import SIZE

    frames = [
        photo.square(Image.open(path).convert("RGB"), SIZE, crop=False).astype(np.float32)[None]
        for path in PHOTOS[:4]
    ]
    alone = [stream(frame) for frame in frames]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(stream, frames * 3))
    for index, rows in enumerate(together):
        np.testing.assert_allclose(rows, alone[index % 4], atol=1e-5)
