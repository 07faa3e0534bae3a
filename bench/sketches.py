"""Sketch recognition speed: hub start-up to first answer, request latency through
gradio_client next to the trivial /ping endpoint, the in-process request function of
the served model (upstream's and ours averaged in one Keras model) next to a single
model's (upstream's alone, on QuickDraw's framing), and how fast the training renderer
makes hand-drawn doodles.

    python -m bench.sketches [--repeats 50] [--smoke]
"""

import time

import numpy as np
from gradio_client import handle_file

from bench.common import bench_server, load_note, report

IDS = ["sketch_recognition_mlp", "sketch_recognition_cnn"]


def alternating(calls: dict, repeats: int) -> dict[str, np.ndarray]:
    """Seconds per call of each of ``calls``, taken in turn (a busy machine slows all alike)."""
    for call in calls.values():
        call()
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: np.asarray(t) for name, t in times.items()}


def in_process(canvas, repeats: int, server: dict[str, np.ndarray]) -> None:
    """The served request function next to a single model's: preprocessing, one model
    call, the top 5."""
    import json

    from core.drawing import to_quickdraw
    from core.models import load_keras, weights_file
    from ui import sketch_recognition_tab as sketches
    from ui.shared import classifier_fn

    for experiment_id in IDS:
        model = load_keras(experiment_id)
        labels = json.loads(weights_file(experiment_id, "labels.json").read_text())
        answer = sketches.top_guesses(labels)
        served = classifier_fn(model, sketches.preparation(model), answer, "served", "")["fn"]
        single = classifier_fn(
            model.get_layer("upstream"), lambda d: to_quickdraw(d)[..., None], answer, "one", ""
        )["fn"]
        calls = {"served": served, "single": single}
        times = alternating({k: lambda f=f: f(canvas) for k, f in calls.items()}, repeats)
        report(f"{experiment_id} in-process, served", times["served"])
        report(f"{experiment_id} in-process, one model", times["single"])
        served_p50, single_p50 = (np.median(times[k]) for k in ("served", "single"))
        added, request = served_p50 - single_p50, np.median(server[experiment_id])
        print(
            f"{experiment_id}: per drawing in-process {served_p50 / single_p50:.2f}x a single "
            f"model (+{added * 1000:.1f} ms); through the server {request / (request - added):.2f}x"
            f" ({load_note()})"
        )


def main(argv: list[str] | None = None) -> None:
    from bench.common import arguments

    parser = arguments(__doc__, repeats={"type": int, "default": 50})
    args = parser.parse_args(argv)
    repeats = 2 if args.smoke else args.repeats

    from PIL import Image

    from ui.shared import examples_of

    example = examples_of("sketch_recognition")[0]
    drawing = {"background": None, "layers": [], "composite": handle_file(example)}
    server = bench_server(IDS, (drawing,), repeats)
    in_process(Image.open(example), 5 * repeats, server)

    # Training renderer: hand-drawn strokes -> 256-px canvas -> to_mnist.
    from training.doodles import icon_doodles, svg_paths

    strokes = svg_paths.svg_strokes('<circle cx="12" cy="12" r="9"/><path d="M8 9h8M12 9v8"/>')
    rng = np.random.default_rng(0)
    doodles = 5 if args.smoke else 200
    start = time.process_time()
    for _ in range(doodles):
        icon_doodles.render(strokes, rng)
    print(f"renderer: {(time.process_time() - start) / doodles * 1000:.1f} ms CPU per doodle")


if __name__ == "__main__":
    main()
