"""README's set-up on a fresh machine: `make run` in a fresh clone, with PATH reduced to
/usr/bin:/bin so that the system's Python (on Debian, the externally-managed
/usr/bin/python3 that refuses `pip install`) is the only one.

The first `make run` makes the clone's own .venv, installs requirements.txt into it and
serves the hub (/ping answers); the second skips the install and serves again. One
experiment is served (`ARGS="--only ..."`) to keep start-up short; the install is the
whole of requirements.txt, about 2 minutes here. The clone is of the committed HEAD.

Where no Python fits, the Makefile stops with one line saying what to install: checked
with PATH reduced to a folder of links to /usr/bin and /bin without any python, plus a
stand-in Python that is too old or lacks the venv module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import ROOT
from deploy.processes import hub_answers, reserve_port, stop_group, wait_until

SYSTEM_PATH = "/usr/bin:/bin"
ONLY = "digits_recognition_cnn"
FIRST_RUN_S = 1800  # make the venv and install requirements.txt, on a loaded 2-core machine
LATER_RUN_S = 300
MAKE = shutil.which("make", path=SYSTEM_PATH) or shutil.which("make")


def make_env(path: str) -> dict[str, str]:
    """This environment with PATH replaced and nothing of the outer `make test` or venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    for name in ["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "HUB_CHROMIUM", "ARGS"]:
        env.pop(name, None)
    return {**env, "PATH": path}


def serve(clone: Path, log: Path, timeout_s: float) -> tuple[str, float]:
    """Run `make run` in ``clone`` with the system PATH until /ping answers; return the
    output of make (hub.py's start-up included) and the seconds until /ping answered."""
    port = reserve_port()
    url = f"http://127.0.0.1:{port}/"
    args = f"ARGS=--only {ONLY} --host 127.0.0.1 --port {port}"
    start = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [MAKE, "run", args],
            cwd=clone,
            env=make_env(SYSTEM_PATH),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: make, the shell, hub.py
        )
        try:
            wait_until(lambda: hub_answers(url), timeout_s, "/ping answer", 1, process)
            seconds = time.monotonic() - start
        except AssertionError as error:
            pytest.fail(f"{error}:\n{log.read_text()[-3000:]}")
        finally:
            stop_group(process)
    return log.read_text(), seconds


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("readme") / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    return target


def system_python() -> str:
    """The Python that `make` finds on /usr/bin:/bin, as the Makefile looks for it."""
    for name in ["python3.11", "python3.12", "python3"]:
        found = shutil.which(name, path=SYSTEM_PATH)
        if found:
            return found
    raise AssertionError("no python3 in /usr/bin or /bin")


@pytest.mark.timeout(FIRST_RUN_S + LATER_RUN_S + 600)  # over the suite's per-test limit
def test_make_run_in_a_fresh_clone_with_only_the_system_python(clone, tmp_path):
    python = system_python()
    output, seconds = serve(clone, tmp_path / "first.log", FIRST_RUN_S)
    print(f"first make run: /ping after {seconds:.0f} s")
    lines = output.splitlines()
    assert f"python: {Path(python).name}, Python 3.1" in lines[0]
    assert f"at {python}, makes .venv" in lines[0]
    assert lines[1].startswith("requirements: installing requirements.txt into .venv")
    config = (clone / ".venv" / "pyvenv.cfg").read_text()
    assert f"home = {Path(python).parent}" in config
    assert list((clone / ".venv").glob(".installed-run-*"))

    output, seconds = serve(clone, tmp_path / "second.log", LATER_RUN_S)
    print(f"second make run: /ping after {seconds:.0f} s")
    lines = output.splitlines()
    assert lines[0].startswith("python: .venv/bin/python, Python 3.1")
    assert lines[0].endswith("(the existing .venv)")
    assert lines[1].startswith("requirements: up to date in .venv")
    assert "installing" not in output


def bare_bin(tmp_path: Path, stand_ins: dict[str, str]) -> str:
    """A PATH of one folder: links to everything in /usr/bin and /bin but Python, and the
    ``stand_ins`` (name -> shell script)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for source in [Path("/usr/bin"), Path("/bin")]:
        for tool in source.iterdir():
            target = folder / tool.name
            if not tool.name.startswith("python") and not target.exists():
                target.symlink_to(tool)
    for name, script in stand_ins.items():
        (folder / name).write_text("#!/bin/sh\n" + script)
        (folder / name).chmod(0o755)
    return str(folder)


def make_run_in_bare_folder(tmp_path: Path, path: str) -> subprocess.CompletedProcess:
    project = tmp_path / "project"
    project.mkdir()
    for name in ["Makefile", "requirements.txt", "requirements-dev.txt", "requirements-train.txt"]:
        shutil.copy(ROOT / name, project)
    result = subprocess.run(
        [MAKE, "run"], cwd=project, env=make_env(path), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert not (project / ".venv").exists()
    return result


def test_without_python_311_make_says_what_to_install(tmp_path):
    too_old = "exit 1\n"  # as Python 3.10 answers the Makefile's version check
    path = bare_bin(tmp_path, {"python3": too_old, "python3.12": too_old})
    result = make_run_in_bare_folder(tmp_path, path)
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert ours == [
        "make: no Python >= 3.11 (tried python3.11, python3.12, python3): "
        "install Python 3.11 or newer"
    ]
    assert result.stdout == ""


def test_without_the_venv_module_make_names_the_package(tmp_path):
    # python3.11 answers as a real one, except that it cannot import ensurepip (as on
    # Debian without python3-venv).
    script = (
        'case "$*" in *ensurepip*) echo "No module named ensurepip" >&2; exit 1;; esac\n'
        f'exec {sys.executable} "$@"\n'
    )
    path = bare_bin(tmp_path, {"python3.11": script})
    result = make_run_in_bare_folder(tmp_path, path)
    version = "{}.{}".format(*sys.version_info[:2])
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert ours == [
        f"make: python3.11 (Python {version}) has no venv module: install the package "
        f"python{version}-venv (Debian, Ubuntu: apt-get install python{version}-venv)"
    ]
