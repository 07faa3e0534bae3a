"""Rock-paper-scissors speed: hub start-up to first answer, the /<id> endpoints through
gradio_client next to the trivial /ping endpoint, the in-process classifiers (the CNN;
MediaPipe's palm detector + landmark model + the head), and the hand renderer.

    python bench/rock_paper_scissors.py [--repeats 30]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import handle_file  # noqa: E402

from bench.common import bench_server, report, timed  # noqa: E402

IDS = ["rock_paper_scissors_cnn", "rock_paper_scissors_transfer"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=30)
    repeats = parser.parse_args().repeats

    import numpy as np
    from PIL import Image

    from core import rock_paper_scissors as space
    from training import rock_paper_scissors as rps_hands
    from ui.common import EXAMPLES

    example = str(EXAMPLES / "rock_paper_scissors" / "paper.png")
    bench_server(IDS, (handle_file(example),), repeats)

    picture = np.asarray(Image.open(example).convert("RGB"))
    for experiment_id in IDS:
        classify = space.load_classifier(experiment_id)
        report(f"{experiment_id} in-process", timed(lambda c=classify: c(picture), repeats))
    rng = np.random.default_rng(0)
    report("render one 96-px training hand", timed(lambda: rps_hands.render("rock", rng), repeats))
