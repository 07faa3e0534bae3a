"""How fast the numbers-summation tab answers: model time and a full gradio round trip.

    python bench/numbers_summation.py

Prints figures only (no assertions): the median of single-question model calls with
`predict_on_batch` (what the tab uses) against `model(x, training=False)`, the whole
`predict()` function, all 9,801 sums in one batch, and a gradio_client call to a local
server running only this tab.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import numbers_summation as nsr  # noqa: E402
from ui.numbers_summation_rnn import _served, numbers_summation_rnn  # noqa: E402

CALLS = 200


def median_ms(fn, calls: int = CALLS) -> float:
    fn()  # warm up (graph tracing, first allocation)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    model, _ = _served()
    x = nsr.encode_questions([(74, 83)])
    every = nsr.encode_questions(nsr.all_pairs())
    print(f"predict_on_batch, 1 sum:      {median_ms(lambda: model.predict_on_batch(x)):7.2f} ms")
    print(f"model(x, training=False):     {median_ms(lambda: model(x, training=False)):7.2f} ms")
    print(
        f"predict('74+83') (the tab):   {median_ms(lambda: numbers_summation_rnn('74+83')):7.2f} ms"
    )
    batch_ms = median_ms(lambda: model.predict_on_batch(every), 5)
    print(f"all 9,801 sums, one batch:    {batch_ms:7.2f} ms")

    from bench.common import connect
    from hub import build_hub, launch

    app = build_hub(only=[nsr.ID])
    _, url, _ = launch(app, server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    client = connect(url)
    call = lambda: client.predict("74+83", api_name=f"/{nsr.ID}")  # noqa: E731
    print(f"gradio_client round trip:     {median_ms(call, 30):7.2f} ms")
    app.close()


if __name__ == "__main__":
    main()
