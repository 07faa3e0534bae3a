"""Installs that are the same on every machine: each declaration (*.in) against its lock
(*.txt, written by `make lock`), this environment against the test lock, the import check
(deptry) shown to fail when a declaration goes, and the per-test time limit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from core import ROOT

# declarations -> the lock written from them
LOCKS = {
    "requirements.in": "requirements.txt",  # the hub: make run, the Dockerfile, a Space
    "requirements-dev.in": "requirements-dev.txt",  # make test
    "tests/olah-requirements.in": "tests/olah-requirements.txt",  # tests/olah_hub.py
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: \\)?$")


def declared(path: Path) -> list[Requirement]:
    """The requirements of a declarations file, following its ``-r`` includes."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += declared(path.parent / line[3:].strip())
        elif line and not line.startswith("-"):
            found.append(Requirement(line))
    return found


def locked(path: Path) -> dict[str, dict]:
    """name -> {"version", "hashes", "via"} of each pin in a lock written by pip-compile."""
    pins: dict[str, dict] = {}
    current = None
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            current = {"version": match[2], "hashes": 0, "via": []}
            pins[canonicalize_name(match[1])] = current
        elif current is not None and "--hash=sha256:" in line:
            current["hashes"] += 1
        elif current is not None and line.strip().startswith("#"):
            via = line.strip().lstrip("#").strip()
            current["via"].append(via.removeprefix("via").strip())
    return pins


@pytest.mark.parametrize("declarations", LOCKS)
def test_every_declared_requirement_has_a_version_of_the_lock_that_meets_it(declarations):
    pins = locked(ROOT / LOCKS[declarations])
    for requirement in declared(ROOT / declarations):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is declared in {declarations}, not in its lock: make lock"
        version = pins[name]["version"]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{declarations} asks for {requirement}, the lock holds {version}: make lock"
        )


@pytest.mark.parametrize("declarations", LOCKS)
def test_a_lock_names_as_its_own_requirements_exactly_what_is_declared(declarations):
    pins = locked(ROOT / LOCKS[declarations])
    direct = {name for name, pin in pins.items() if any(v.startswith("-r ") for v in pin["via"])}
    names = {canonicalize_name(r.name) for r in declared(ROOT / declarations)}
    assert direct == names, "a declaration added or removed since the last `make lock`"


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_pin_is_exact_and_carries_its_hashes(lock):
    text = (ROOT / lock).read_text()
    pins = locked(ROOT / lock)
    requirement_lines = [line for line in text.splitlines() if line and line[0].isalnum()]
    assert len(requirement_lines) == len(pins) >= 40
    assert all(pin["hashes"] >= 1 for pin in pins.values())
    assert "--index-url" not in text and "--find-links" not in text  # no machine's own index


def test_the_test_lock_holds_the_hubs_versions():
    hub, tests = locked(ROOT / "requirements.txt"), locked(ROOT / "requirements-dev.txt")
    assert {name: pin["version"] for name, pin in hub.items()} == {
        name: tests[name]["version"] for name in hub
    }
    assert "tensorflow-datasets" not in tests  # an optional install (see the next tests)


def test_this_environment_holds_exactly_the_test_lock():
    """`make test` installs requirements-dev.txt into a .venv of its own: pip freeze
    there is the lock, no package more or less, none at another version."""
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True, text=True
    ).stdout
    installed = dict(line.split("==", 1) for line in freeze.splitlines() if "==" in line)
    installed = {canonicalize_name(name): version for name, version in installed.items()}
    pins = {name: pin["version"] for name, pin in locked(ROOT / "requirements-dev.txt").items()}
    assert installed == pins


def test_upstream_rock_paper_scissors_names_its_optional_install():
    from training import rock_paper_scissors_cnn

    with pytest.raises(SystemExit, match="pip install tensorflow-datasets"):
        rock_paper_scissors_cnn.upstream_sets(64)


def deptry(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """deptry as `make test` runs it, its report in ``stdout``."""
    command = [Path(sys.executable).with_name("deptry"), "--no-ansi", *args]
    return subprocess.run(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def copy_of_the_project(tmp_path: Path) -> Path:
    """The code and the declarations, without weights or data (deptry reads only those)."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns(".*", "weights", "data", "examples", "gallery", "docs")
    shutil.copytree(ROOT, copy, ignore=ignore)
    return copy


def test_the_import_check_fails_when_a_declaration_goes(tmp_path):
    """The check of `make test` passes on the project as it is, and fails when pandas (the
    numbers tab imports it; gradio brings it in anyway) is no longer declared."""
    project = copy_of_the_project(tmp_path)
    assert deptry(project, ".").returncode == 0
    hub = project / "requirements.in"
    hub.write_text(re.sub(r"(?m)^pandas.*\n", "", hub.read_text()))
    result = deptry(project, ".")
    assert result.returncode == 1
    assert "DEP003 'pandas' imported but it is a transitive dependency" in result.stdout


def test_a_hung_test_fails_with_its_traceback_and_the_run_goes_on(tmp_path):
    (tmp_path / "test_hang.py").write_text(
        "import time\n\ndef test_hangs():\n    time.sleep(600)\n\ndef test_after():\n    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "timeout=2", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Failed: Timeout" in result.stdout and "time.sleep(600)" in result.stdout
    assert "1 failed, 1 passed" in result.stdout
    config = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"(?m)^timeout = \d+$", config)  # the suite's own limit
