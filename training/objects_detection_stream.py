"""Objects detection's webcam model: the served CenterNet SavedModel converted to
TensorFlow Lite, run by the XNNPACK CPU kernels.

The webcam stream answers a frame every 0.1-0.25 s per visitor, so its CPU per frame
decides how many visitors the hub can serve. The same network at the same 512x512 input,
as a .tflite with float16 weights (4 MB; XNNPACK computes in float32), takes about half
the CPU of the SavedModel per frame on one thread. Tried and left out (bench figures in
README): int8 weights ("dynamic range" quantization) were slower than float on this CPU,
and a smaller input is not possible without editing the graph (CenterNet's head holds
the 128x128 feature map size as constants).

    python -m training.objects_detection_stream [--out weights/objects_detection]

Reads weights/objects_detection/saved_model (python -m training.objects_detection),
writes stream.tflite next to it, checks that it finds what the SavedModel finds on the
example photos (same classes, boxes at IoU >= MIN_IOU) and rewrites the folder's
SHA256SUMS. The photo endpoint keeps the SavedModel; the stream uses this one
(core.objects_detector.load_stream_detector).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tensorflow as tf

from core import objects_detector as serving
from core.weights import write_manifest
from training import example_photos

FOLDER = Path(__file__).resolve().parent.parent / "weights" / "objects_detection"
MIN_IOU = 0.7


def convert(saved_model: Path) -> bytes:
    """The SavedModel's serving signature as a .tflite, weights stored as float16."""
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def iou(a, b) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def differences(full, stream, image, score: float = serving.SCORE) -> list[str]:
    """What the stream model misses or adds against the full model on one picture: each
    full-model detection must have a stream detection of the same class at IoU >= MIN_IOU,
    and the other way round."""
    found = {
        name: serving.detections(model, image, score)
        for name, model in (("full", full), ("stream", stream))
    }
    problems = []
    for mine, other in (("full", "stream"), ("stream", "full")):
        for box, probability, cls in found[mine]:
            matches = [iou(box, b) for b, _, c in found[other] if c == cls]
            if not matches or max(matches) < MIN_IOU:
                problems.append(
                    f"class {cls} ({probability:.2f}) of the {mine} model: best IoU in the "
                    f"{other} model {max(matches, default=0):.2f}"
                )
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FOLDER, help="the weights folder")
    args = parser.parse_args(argv)
    folder = args.out
    (folder / serving.STREAM_MODEL).write_bytes(convert(folder / "saved_model"))
    full, _ = serving.load_detector(folder)
    stream, _ = serving.load_stream_detector(folder)
    from PIL import Image

    for path in sorted(example_photos.EXAMPLES.glob("*.jpg")):
        problems = differences(full, stream, Image.open(path).convert("RGB"))
        assert not problems, f"{path.name}: {problems}"
        print(f"{path.name}: same detections")
    write_manifest(folder)
    size = (folder / serving.STREAM_MODEL).stat().st_size / 1e6
    print(f"wrote {folder / serving.STREAM_MODEL} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
