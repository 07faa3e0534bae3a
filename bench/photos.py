"""Photo experiments' speed: one 640x480 photo through /image_classification and
/objects_detection (gradio_client, upload included), next to the /ping floor, and the
same request functions called in process (the detector: the full model and the stream's).

    python -m bench.photos [--repeats 20] [--smoke]
"""

import tempfile
from pathlib import Path

from gradio_client import handle_file
from PIL import Image, ImageOps

from bench.common import arguments, bench_server, report, timed
from core import ROOT

IDS = ["image_classification", "objects_detection"]


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__, repeats={"type": int, "default": 20})
    args = parser.parse_args(argv)
    repeats = 2 if args.smoke else args.repeats

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
    from core import image_classifier, objects_detector
    from core.weights import resolve
    from ui.shared import classifier_fn

    model, names = image_classifier.load_classifier(resolve("image_classification"))
    top = image_classifier.top_classes(names)
    classify = classifier_fn(model, image_classifier.prepare, top, "classify", "")["fn"]
    report("image_classification in-process", timed(lambda: classify(str(photo)), repeats))
    detect = objects_detector.detector(
        *objects_detector.load_detector(resolve("objects_detection"))
    )
    report("objects_detection in-process", timed(lambda: detect(str(photo)), repeats))


if __name__ == "__main__":
    main()
