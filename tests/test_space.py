"""The hub starts as a Hugging Face Space starts it: `python hub.py`, no arguments, in the
environment every Space sets (SYSTEM=spaces, SPACE_ID, GRADIO_SERVER_NAME/PORT). There,
gradio imports Hugging Face's `spaces` package and wraps every event function with
`spaces.gradio_auto_wrap`; a local folder named `spaces` would shadow that package and the
hub would die at its first event. Run with the package installed (requirements-dev.txt
pins it) and without it (its import blocked, as on a machine that lacks it)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gradio_client import handle_file

from core import ROOT
from deploy.processes import reserve_port, stop_group
from helpers import start_like_a_space, wait_for_client

EXPERIMENT = "digits_recognition_cnn"
START_TIMEOUT = 240  # seconds: importing gradio + TensorFlow on a busy 2-core machine
# Runs hub.py as `python hub.py` would (its folder first on sys.path, run as __main__),
# with every import of `spaces` failing as it does where the package is not installed.
WITHOUT_SPACES = """
import importlib.abc, runpy, sys
class NoSpaces(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "spaces" or name.startswith("spaces."):
            raise ImportError("no module named spaces (blocked by the test)")
sys.meta_path.insert(0, NoSpaces())
sys.argv = ["hub.py"]
runpy.run_path("hub.py", run_name="__main__")
"""


COMMANDS = {
    "with-huggingface-spaces-package": ["hub.py"],
    "without-it": ["-c", WITHOUT_SPACES],
}


@pytest.fixture(scope="module")
def spaces():
    """Both Space-like hubs, started at once (each start is mostly one core's work)."""
    ports = [reserve_port() for _ in COMMANDS]  # each kept from others in TIME_WAIT
    started = {
        name: (start_like_a_space([sys.executable, *command], port), port)
        for (name, command), port in zip(COMMANDS.items(), ports, strict=True)
    }
    yield started
    for process, _ in started.values():
        stop_group(process)


@pytest.mark.parametrize("name", COMMANDS)
def test_hub_starts_as_a_space_starts_it_and_answers(name, spaces):
    process, port = spaces[name]
    client = wait_for_client(process, f"http://127.0.0.1:{port}/", START_TIMEOUT)
    digit = ROOT / "ui" / "examples" / "digits_recognition" / "3.png"
    value = {"background": None, "layers": [], "composite": handle_file(str(digit))}
    label = client.predict(value, api_name=f"/{EXPERIMENT}")
    assert label["label"] == "3"


def test_huggingface_spaces_package_is_installed_and_not_shadowed():
    check = "import spaces, sys; sys.exit(not hasattr(spaces, 'gradio_auto_wrap'))"
    subprocess.run([sys.executable, "-c", check], cwd=ROOT, check=True)
