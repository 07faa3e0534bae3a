"""Photo experiments' speed: one 640x480 photo through /image_classification and
/objects_detection (gradio_client, upload included), next to the /ping floor, and the
same request functions called in process.

    python bench/photos.py [--repeats 20]
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import handle_file  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from bench.common import ROOT, bench_server, report, timed  # noqa: E402

IDS = ["image_classification", "objects_detection"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    repeats = parser.parse_args().repeats

    # A 640x480 JPEG, as a webcam snapshot or a phone photo scaled down would be.
    source = Image.open(ROOT / "ui" / "examples" / "photos" / "astronaut.jpg")
    photo = Path(tempfile.mkdtemp()) / "photo_640x480.jpg"
    ImageOps.fit(source, (640, 480)).save(photo, quality=90)

    inputs = {
        "image_classification": (handle_file(str(photo)),),
        "objects_detection": (handle_file(str(photo)), 0.3),
    }
    bench_server(IDS, inputs.get, repeats, note=" (640x480)")

    # The same work without the server: photo decoding + preprocessing + one model call.
    from core import image_classification, objects_detection
    from core.weights import resolve
    from ui.common import classifier_fn

    model, names = image_classification.load_classifier(resolve("image_classification"))
    top = image_classification.top_classes(names)
    classify = classifier_fn(model, image_classification.prepare, top, "classify", "")["fn"]
    detect = objects_detection.detector(
        *objects_detection.load_detector(resolve("objects_detection"))
    )
    report("image_classification in-process", timed(lambda: classify(str(photo)), repeats))
    report("objects_detection in-process", timed(lambda: detect(str(photo)), repeats))
