"""How fast the numbers-summation tab answers: model time and a full gradio round trip.

    python -m bench.numbers_summation [--smoke]

Prints figures only (no assertions): the median of single-question model calls with
`predict_on_batch` (what the tab uses) against `model(x, training=False)`, the whole
`predict()` function, all 9,801 sums in one batch, and a gradio_client call to a local
server running only this tab.
"""

from __future__ import annotations

import statistics
import time

from bench.common import arguments, load_note
from core import numbers_summation as nsr
from core.models import load_keras
from ui.numbers_summation_rnn_tab import numbers_summation_rnn

CALLS = 200


def median_ms(fn, calls: int = CALLS) -> float:
    fn()  # warm up (graph tracing, first allocation)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__).parse_args(argv)
    calls = 5 if args.smoke else CALLS
    model = load_keras(nsr.ID)
    print(load_note())
    x = nsr.encode_questions([(74, 83)])
    every = nsr.encode_questions(nsr.all_pairs())
    rows = [
        ("predict_on_batch, 1 sum:", lambda: model.predict_on_batch(x), calls),
        ("model(x, training=False):", lambda: model(x, training=False), calls),
        ("predict('74+83') (the tab):", lambda: numbers_summation_rnn("74+83"), calls),
        (
            "all 9,801 sums, one batch:",
            lambda: model.predict_on_batch(every),
            2 if args.smoke else 5,
        ),
    ]
    for name, call, repeats in rows:
        print(f"{name:<30}{median_ms(call, repeats):7.2f} ms")

    from bench.common import connect
    from hub import build_hub, launch

    app = build_hub(only=[nsr.ID])
    _, url, _ = launch(app, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    client = connect(url)
    call = lambda: client.predict("74+83", api_name=f"/{nsr.ID}")  # noqa: E731
    print(f"gradio_client round trip:     {median_ms(call, 3 if args.smoke else 30):7.2f} ms")
    app.close()


if __name__ == "__main__":
    main()
