"""training/colab.ipynb: valid nbformat, valid Python, every experiment it offers accepts
the flags it passes (`--source upstream --push`), and every cell runs, headless (nbclient),
in smoke mode (SMOKE_TEST=1: the offline data, one step, no GPU needed), cloning this
repo and pushing to olah's git mirror (tests/olah_hub.py) through huggingface_hub."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from core import ROOT
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
    """The flags of the training command, with upstream's data (SMOKE_TEST off)."""
    (command,) = [line for s in code_cells() for line in s.splitlines() if "-m training." in line]
    (data,) = re.findall(r'else "(--source upstream)"$', "\n".join(code_cells()), re.MULTILINE)
    return command.split("$EXPERIMENT", 1)[1].replace("$DATA", data).split()


def test_code_cells_are_valid_python_once_shell_and_magic_lines_are_set_aside():
    for source in code_cells():
        python = "\n".join(
            "pass" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines()
        )
        ast.parse(python)


def test_it_checks_for_a_gpu_and_installs_only_the_training_requirements():
    sources = "\n".join(code_cells())
    assert 'list_physical_devices("GPU")' in sources and "assert gpus" in sources
    assert "%pip install -q -r requirements-train.txt" in sources
    assert 'userdata.get("HF_TOKEN")' in sources
    assert "core/hub_pins.json" in code_cells()[-1]
    # Slim: what training imports, not the hub's or the tests' stack.
    train = (ROOT / "requirements-train.txt").read_text().lower()
    for name in ("gradio", "playwright", "ruff", "spaces", "pytest", "tensorflow-cpu"):
        assert not re.search(rf"^{name}\b", train, re.MULTILINE), name


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


@pytest.mark.parametrize("experiment_id", ["objects_detection", "rock_paper_scissors_transfer"])
def test_ids_without_upstream_data_refuse_the_upstream_flag(experiment_id, capsys):
    assert experiment_id not in offered_ids()
    training = importlib.import_module(f"training.{experiment_id}")  # its command line, here
    with pytest.raises(SystemExit) as exit:
        training.main(["--source", "upstream"])
    assert exit.value.code == 2 and "invalid choice: 'upstream'" in capsys.readouterr().err


# Python started in the notebook's processes (the kernel, the training run) reads this:
# huggingface_hub's commit API answered by CommitAPI, the rest by olah (HF_ENDPOINT).
SITECUSTOMIZE = """
import os, sys
from pathlib import Path

if os.environ.get("TEST_COMMIT_API_MIRRORS"):
    sys.path.insert(0, {tests!r})
    from olah_hub import use_commit_api

    use_commit_api(Path(os.environ["TEST_COMMIT_API_MIRRORS"]))
"""


def with_form(notebook, **values: str):
    """The notebook with its form fields (``NAME = "..."  # @param ...``) set, as a person
    fills them in on Colab."""
    form = notebook.cells[1]
    for name, value in values.items():
        form.source, count = re.subn(
            rf'^{name} = "[^"]*"', f"{name} = {value!r}", form.source, flags=re.MULTILINE
        )
        assert count == 1, name
    return notebook


def test_every_cell_runs_in_smoke_mode_and_pushes(olah, tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from olah_hub import git

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE.format(tests=str(ROOT / "tests")))
    for name, value in {
        "SMOKE_TEST": "1",
        "HF_ENDPOINT": olah.url,
        "HF_HUB_OFFLINE": "0",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_TOKEN": "hf_notebook_test_token",
        "TEST_COMMIT_API_MIRRORS": str(olah.mirrors),
        "PYTHONPATH": str(site),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }.items():
        monkeypatch.setenv(name, value)
    experiment = "digits_recognition_mlp"
    notebook = with_form(
        nbformat.read(NOTEBOOK, as_version=4),
        REPO_URL=str(ROOT),  # this repo's committed HEAD, cloned as from GitHub
        EXPERIMENT=experiment,
        HUB_NAMESPACE="colab-test",
    )

    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    head = git(olah.mirrors / "models" / "colab-test" / experiment, "rev-parse", "HEAD")
    shown = "".join(output.get("text", "") for output in code[-1].outputs)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # git diff's colours
    assert re.search(rf'^\+ +"revision": "{head}"', shown, re.MULTILINE), shown  # the new pin
    assert f"colab-test/{experiment}" in shown and "preload_from_hub" in shown


def test_quickdraw_reads_only_the_first_drawings_of_each_category_asked(tmp_path, monkeypatch):
    """Upstream's sketches: QuickDraw's per-category numpy bitmap files, served here by a
    local HTTP server in their format ((N, 784) uint8), read to the rows needed."""
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import numpy as np

    from training.doodles import quickdraw

    served = tmp_path / "served"
    served.mkdir()
    rng = np.random.default_rng(0)
    names = ["cat", "the eiffel tower"]
    files = {name: rng.integers(0, 256, (50, 784), np.uint8) for name in names}
    for name, bitmaps in files.items():
        np.save(served / f"{name}.npy", bitmaps)
    asked = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def do_GET(self):
            asked.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(quickdraw, "QUICKDRAW_BITMAPS", f"{server_url(server)}/{{}}.npy")
        monkeypatch.setattr(quickdraw, "CACHE", tmp_path / "cache")
        x, y, names = quickdraw.quickdraw(per_category=3, names=list(files))
        again, _, _ = quickdraw.quickdraw(per_category=3, names=list(files))  # from the cache
    finally:
        server.shutdown()
        server.server_close()

    assert x.shape == (6, 28, 28) and x.dtype == np.uint8 and names == list(files)
    assert y.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(x[:3].reshape(3, 784), files["cat"][:3])
    np.testing.assert_array_equal(x[3:].reshape(3, 784), files["the eiffel tower"][:3])
    np.testing.assert_array_equal(again, x)
    assert asked == ["/cat.npy", "/the%20eiffel%20tower.npy"]


def server_url(server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"
