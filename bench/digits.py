"""Digits speed: hub start-up to first answer, request latency through gradio_client
next to the trivial /ping endpoint (the framework floor) and the raw model call.

    python bench/digits.py [--repeats 50]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import handle_file  # noqa: E402

from bench.common import ROOT, bench_server, report, timed  # noqa: E402

IDS = ["digits_recognition_mlp", "digits_recognition_cnn"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=50)
    repeats = parser.parse_args().repeats

    example = str(ROOT / "ui" / "examples" / "digits_recognition" / "7.png")
    drawing = {"background": None, "layers": [], "composite": handle_file(example)}
    bench_server(IDS, (drawing,), repeats)

    # The same work without the server: preprocessing + one model call.
    from PIL import Image

    from core.models import load_keras
    from ui import digits_recognition as digits
    from ui.common import classifier_fn

    canvas = Image.open(example)
    for experiment_id in IDS:
        model = load_keras(experiment_id)
        recognise = classifier_fn(model, digits.prepare, digits.answer, experiment_id, "")["fn"]
        report(f"{experiment_id} in-process", timed(lambda r=recognise: r(canvas), repeats))
