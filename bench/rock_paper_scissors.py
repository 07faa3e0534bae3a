"""Rock-paper-scissors speed: hub start-up to first answer, the /<id> endpoints through
gradio_client next to the trivial /ping endpoint, the in-process classifiers (the CNN;
MediaPipe's palm detector + landmark model + the head), and the hand renderer.

    python -m bench.rock_paper_scissors [--repeats 30] [--smoke]
"""

from gradio_client import handle_file

from bench.common import arguments, bench_server, report, timed

IDS = ["rock_paper_scissors_cnn", "rock_paper_scissors_transfer"]


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__, repeats={"type": int, "default": 30})
    args = parser.parse_args(argv)
    repeats = 2 if args.smoke else args.repeats

    import numpy as np
    from PIL import Image

    from core import gestures
    from training.hands import flat_hands
    from ui.shared import EXAMPLES

    example = str(EXAMPLES / "rock_paper_scissors" / "paper.png")
    bench_server(IDS, (handle_file(example),), repeats)

    picture = np.asarray(Image.open(example).convert("RGB"))
    for experiment_id in IDS:
        classify = gestures.load_classifier(experiment_id)
        report(f"{experiment_id} in-process", timed(lambda c=classify: c(picture), repeats))
    rng = np.random.default_rng(0)
    report("render one 96-px training hand", timed(lambda: flat_hands.render("rock", rng), repeats))


if __name__ == "__main__":
    main()
