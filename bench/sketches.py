"""Sketch recognition speed: hub start-up to first answer, request latency through
gradio_client next to the trivial /ping endpoint, the in-process request function, and
how fast the training renderer makes hand-drawn doodles.

    python -m bench.sketches [--repeats 50] [--smoke]
"""

import time

from gradio_client import handle_file

from bench.common import arguments, bench_server, report, timed

IDS = ["sketch_recognition_mlp", "sketch_recognition_cnn"]


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__, repeats={"type": int, "default": 50})
    args = parser.parse_args(argv)
    repeats = 2 if args.smoke else args.repeats

    from ui import sketch_recognition_tab as sketches
    from ui.shared import classifier_fn, examples_of

    example = examples_of("sketch_recognition")[0]
    drawing = {"background": None, "layers": [], "composite": handle_file(example)}
    bench_server(IDS, (drawing,), repeats)

    # The same work without the server: preprocessing + one model call + top 5.
    import json

    import numpy as np
    from PIL import Image

    from core.models import load_keras, weights_file
    from training import icon_doodles, svg_paths

    canvas = Image.open(example)
    for experiment_id in IDS:
        model = load_keras(experiment_id)
        labels = json.loads(weights_file(experiment_id, "labels.json").read_text())
        guess = classifier_fn(model, sketches.prepare, sketches.top_guesses(labels), "g", "")
        report(f"{experiment_id} in-process", timed(lambda g=guess["fn"]: g(canvas), repeats))

    # Training renderer: hand-drawn strokes -> 256-px canvas -> to_mnist.
    strokes = svg_paths.svg_strokes('<circle cx="12" cy="12" r="9"/><path d="M8 9h8M12 9v8"/>')
    rng = np.random.default_rng(0)
    doodles = 5 if args.smoke else 200
    start = time.process_time()
    for _ in range(doodles):
        icon_doodles.render(strokes, rng)
    print(f"renderer: {(time.process_time() - start) / doodles * 1000:.1f} ms CPU per doodle")


if __name__ == "__main__":
    main()
