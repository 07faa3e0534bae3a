"""Footprint and speed of the whole hub: start-up to first answer with every experiment
(/ping's, then the first and the last tab's: the models load in the background once the
hub serves, in the tabs' order), resident memory once every model has answered, and
per-experiment latency (p50/p95) through gradio_client next to the /ping floor and to
the same request function called in process (preprocessing + model, no server). The
latencies are measured twice: with a client that shares one SSL context between its
calls (bench.common.connect), and with gradio_client's default, which builds one per
HTTP call.

    python -m bench.footprint [--repeats 20] [--smoke]

The smoke run serves two experiments, not all of them.
"""

import time

import numpy as np
from PIL import Image

from bench.common import arguments, connect, load_note, report, start_hub, stop, timed
from bench.load import DIGIT, DOODLE, MIX, PHOTO
from deploy.processes import tree_rss_mb


def in_process_args(endpoint: str) -> list:
    """What the request function receives after gradio's preprocessing."""
    if endpoint.startswith(("digits", "sketch")):
        path = DIGIT if endpoint.startswith("digits") else DOODLE
        composite = np.asarray(Image.open(path).convert("RGBA"))
        return [{"background": None, "layers": [], "composite": composite}]
    return {"image_classification": [PHOTO], "numbers_summation_rnn": ["34+27"]}[endpoint]


# What the experiments outside bench.load's MIX are asked, to load and use their models.
OTHERS = {
    "objects_detection": lambda: [MIX["image_classification"]()[0], 0.3],
    "clothes_generation_dcgan": lambda: [42, 4],
    "text_generation_shakespeare_rnn": lambda: ["The ", 100, 0.5, 1],
    "text_generation_wikipedia_rnn": lambda: ["The ", 100, 0.5, 1],
    "recipe_generation_rnn": lambda: ["Soup", 100, 0.5, 1],
}


def first_answers(client, ready: float, every: list[str]) -> str:
    """The seconds from the hub's start to the first answer of the first and of the last
    tab with a model (asked right after /ping answered, at ``ready``)."""
    asked = time.perf_counter()
    times = []
    for endpoint in (every[0], every[-1]):
        client.predict(*{**MIX, **OTHERS}[endpoint](), api_name=f"/{endpoint}")
        times.append(f"/{endpoint} {ready + time.perf_counter() - asked:.1f} s")
    return ", then ".join(times)


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__, repeats={"type": int, "default": 20})
    args = parser.parse_args(argv)
    repeats = 2 if args.smoke else args.repeats

    from core.experiments import EXPERIMENTS

    every = [e.id for e in EXPERIMENTS]
    if args.smoke:
        every = ["digits_recognition_mlp", "numbers_summation_rnn"]
    process, url, ready = start_hub(every)
    try:
        print(f"start-up to /ping's first answer ({len(every)} experiments): {ready:.1f} s")
        answers = first_answers(connect(url), ready, every)
        print(f"start-up to the first and the last tab's first answer: {answers} ({load_note()})")
        print(f"resident memory after start-up: {tree_rss_mb(process.pid):.0f} MB")
        for shared_tls in (True, False):
            client = connect(url, shared_tls)
            print("client: " + ("one shared SSL context" if shared_tls else "gradio's default"))
            served = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
            floor = timed(lambda c=client: c.predict(api_name="/ping"), repeats)
            report("/ping (framework floor)", floor)
            for endpoint, values in MIX.items():
                if f"/{endpoint}" in served:
                    call = lambda c=client, e=endpoint, v=values: c.predict(*v(), api_name=f"/{e}")  # noqa: E731
                    report(f"/{endpoint}", timed(call, repeats), floor)
        # Every other experiment answers once, so that every model is in memory.
        for endpoint, values in OTHERS.items():
            if f"/{endpoint}" in served:
                client.predict(*values(), api_name=f"/{endpoint}")
        print(f"resident memory with every model used: {tree_rss_mb(process.pid):.0f} MB")
    finally:
        stop(process)

    # The same request functions without the server.
    from hub import build_hub

    app = build_hub([endpoint for endpoint in MIX if endpoint in every])
    functions = {f.api_name: f.fn for f in app.fns.values() if f.api_name}
    for endpoint in MIX:
        if endpoint in functions:
            fn, values = functions[endpoint], in_process_args(endpoint)
            report(f"{endpoint} in process", timed(lambda f=fn, v=values: f(*v), repeats))


if __name__ == "__main__":
    main()
