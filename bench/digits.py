"""Digits speed: hub start-up to first answer, request latency through gradio_client
next to the trivial /ping endpoint (the framework floor) and the raw model call.

    python -m bench.digits [--repeats 50] [--smoke]
"""

from gradio_client import handle_file

from bench.common import arguments, bench_server, report, timed
from core import ROOT

IDS = ["digits_recognition_mlp", "digits_recognition_cnn"]


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__, repeats={"type": int, "default": 50})
    args = parser.parse_args(argv)
    repeats = 2 if args.smoke else args.repeats

    example = str(ROOT / "ui" / "examples" / "digits_recognition" / "7.png")
    drawing = {"background": None, "layers": [], "composite": handle_file(example)}
    bench_server(IDS, (drawing,), repeats)

    # The same work without the server: preprocessing + one model call.
    from PIL import Image

    from core.models import load_keras
    from ui import digits_recognition_tab as digits
    from ui.shared import classifier_fn

    canvas = Image.open(example)
    for experiment_id in IDS:
        model = load_keras(experiment_id)
        recognise = classifier_fn(model, digits.prepare, digits.answer, experiment_id, "")["fn"]
        report(f"{experiment_id} in-process", timed(lambda r=recognise: r(canvas), repeats))


if __name__ == "__main__":
    main()
