"""The command line of every `python -m training.<id>`, and how many threads it takes."""

from __future__ import annotations

import argparse
from pathlib import Path


def parse_args(
    doc: str,
    epochs: int,
    argv: list[str] | None = None,
    sources: tuple[str, ...] = ("registry", "upstream"),
    fixtures: bool = False,
) -> argparse.Namespace:
    """The command line of every `python -m training.<id>`; ``sources`` are the data
    sources the module can train on; ``fixtures``: it writes committed test sets or tab
    examples, rewritten with --refresh-fixtures."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument(
        "--source",
        choices=sources,
        default="registry",
        help="registry: offline packages (default here); upstream: upstream's own data",
    )
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--out", type=Path, default=None, help="weights folder to write")
    parser.add_argument("--smoke", action="store_true", help="one step on tiny data (CI)")
    parser.add_argument("--push", action="store_true", help="upload the folder to the Hub")
    if fixtures:
        parser.add_argument(
            "--refresh-fixtures",
            action="store_true",
            help="also rewrite the committed test sets (data/) and examples (ui/examples/)",
        )
    return parser.parse_args(argv)


def limit_threads(intra: int | None = None) -> None:
    """One inter-op thread (the CPUs are shared) and, given, ``intra`` intra-op threads;
    left alone where TensorFlow already runs (a test session)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
        if intra:
            tf.config.threading.set_intra_op_parallelism_threads(intra)
    except RuntimeError:  # TensorFlow already initialised: leave it
        pass
