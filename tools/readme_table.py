"""README's experiments table, written from the one table of experiments
(core/experiments.py) and each experiment's weights/<id>/metrics.json, between the
markers in README.md. tests/test_hub.py checks that README holds what this writes.

    python -m tools.readme_table            # rewrite the table in README.md
"""

from __future__ import annotations

import json

from core import ROOT
from core.experiments import EXPERIMENTS, Experiment
from core.weights import WEIGHTS_DIR

README = ROOT / "README.md"
BEGIN = "<!-- experiments table: written by `python -m tools.readme_table` -->"
END = "<!-- end of the experiments table -->"


def row(experiment: Experiment) -> str:
    path = WEIGHTS_DIR / experiment.id / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    label = experiment.filled(experiment.label_text, metrics)
    figures = [f"{label}: **{experiment.figure(metrics)}**"]
    figures += [
        f"{experiment.filled(label, metrics)}: {experiment.figure(metrics, key)}"
        for key, label in experiment.more
    ]
    cells = [
        f"`{experiment.id}`",
        f"{experiment.section} / {experiment.short}",
        experiment.filled(experiment.data_text, metrics),
        "; ".join(figures),
        experiment.upstream,
    ]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def table() -> str:
    """The table in Markdown, one row per experiment in the hub's order."""
    head = "| id | tab | data actually used | our figures | upstream |\n|---|---|---|---|---|"
    return "\n".join([head, *(row(experiment) for experiment in EXPERIMENTS)])


def with_table(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the table."""
    before, rest = readme.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{table()}\n{END}{after}"


def main() -> None:
    README.write_text(with_table(README.read_text()))
    print(f"wrote the experiments table in {README}")


if __name__ == "__main__":
    main()
