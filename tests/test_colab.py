"""training/colab.ipynb: valid nbformat, valid Python, and every experiment it offers
accepts the flags it passes (`--source upstream --push`)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import nbformat

from conftest import ROOT
from core.experiments import EXPERIMENTS

NOTEBOOK = ROOT / "training" / "colab.ipynb"


def code_cells() -> list[str]:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def offered_ids() -> list[str]:
    """The ids of the notebook's EXPERIMENT form field (# @param [...])."""
    for source in code_cells():
        if match := re.search(r"^EXPERIMENT = .*# @param (\[.*\])$", source, re.MULTILINE):
            return ast.literal_eval(match.group(1))
    raise AssertionError("the notebook has no EXPERIMENT form field")


def training_flags() -> list[str]:
    (command,) = [line for s in code_cells() for line in s.splitlines() if "-m training." in line]
    return command.split("$EXPERIMENT", 1)[1].split()


def test_code_cells_are_valid_python_once_shell_and_magic_lines_are_set_aside():
    for source in code_cells():
        python = "\n".join(
            "pass" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines()
        )
        ast.parse(python)


def test_it_checks_for_a_gpu_and_installs_what_gives_tensorflow_one():
    sources = "\n".join(code_cells())
    assert 'list_physical_devices("GPU")' in sources and "assert gpus" in sources
    assert "tensorflow[and-cuda]" in sources and "tensorflow-datasets" in sources
    assert 'userdata.get("HF_TOKEN")' in sources
    assert "core/hub_pins.json" in code_cells()[-1]


def test_every_offered_id_accepts_the_flags_the_notebook_passes():
    ids, flags = offered_ids(), training_flags()
    assert flags == ["--source", "upstream", "--push"]
    assert set(ids) <= {e.id for e in EXPERIMENTS} and len(ids) >= 10
    # argparse checks the flags before --help: exit 0 means every flag was accepted.
    check = (
        "import runpy, sys\n"
        f"for experiment_id in {ids!r}:\n"
        f"    sys.argv = [experiment_id, *{flags!r}, '--help']\n"
        "    try:\n"
        "        runpy.run_module(f'training.{experiment_id}', run_name='__main__')\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code in (0, None), (experiment_id, exit.code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_ids_without_upstream_data_refuse_the_upstream_flag():
    offered = set(offered_ids())
    for experiment_id in ("objects_detection", "rock_paper_scissors_transfer"):
        assert experiment_id not in offered
        command = [sys.executable, "-m", f"training.{experiment_id}", "--source", "upstream"]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 2 and "invalid choice: 'upstream'" in run.stderr
