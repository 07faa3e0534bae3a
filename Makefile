# The two commands of the README: `make run` serves the hub, `make test` runs every test.
#
# Both work in the project's own virtual environment, .venv, made on first use from the
# first Python >= 3.11 among python3.11, python3.12 and python3, and install into it only
# from the locks: requirements.txt (the hub's, as a Space installs it) for `make run`,
# requirements-dev.txt (the hub's pins plus training and test tools) for `make test`,
# every version pinned and every file hash-checked by pip. They install only when a lock
# changed since the last install (a stamp file in .venv), so a second `make run` starts at
# once; a .venv installed from another version of a lock is made anew, so that it holds
# exactly what the lock says (tests/test_dependencies.py compares `pip freeze` with it).
# Each choice is printed on a line of its own.
#
#   make run ARGS="--only digits_recognition_cnn --port 7861"   options of hub.py
#   make run REPLICAS=2                                          2 hub processes behind HAProxy
#   make stop                                                    stops a `make run REPLICAS=N`
#   make test PYTEST_ARGS=tests/test_hub.py                      part of the suite
#   make test-fast                                               ruff and the tests neither slow nor e2e
#   make test HUB_CHROMIUM=/path/to/chrome                       the browser to drive
#   make lock                                                    the locks, written from *.in

SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=
REPLICAS ?= 1
PYTEST_ARGS ?=
LOCK_ARGS ?=
HUB_CHROMIUM ?=

# A stamp per lock, named by the checksum of its contents; the test lock's covers the hub's.
RUN_SUM := $(shell cat requirements.txt | cksum | cut -d ' ' -f 1)
TEST_SUM := $(shell cat requirements.txt requirements-dev.txt | cksum | cut -d ' ' -f 1)
RUN_STAMP := $(VENV)/.installed-run-$(RUN_SUM)
TEST_STAMP := $(VENV)/.installed-test-$(TEST_SUM)
# pip installs a lock as it is: every file checked against its hashes, nothing unpinned.
INSTALL := $(PY) -m pip install -q --require-hashes -r
# One command writes every lock from its declarations (*.in): pip-compile (pip-tools, which
# `make test` installs) resolves as pip does, for .venv's Python and this platform, and
# keeps the versions a lock already holds unless a declaration asks for others.
# `make lock LOCK_ARGS=--upgrade` moves every package to the newest its declarations allow.
COMPILE := $(VENV)/bin/pip-compile -q --allow-unsafe --strip-extras --generate-hashes \
  --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

# Every import declared, directly, and every declaration imported (pyproject.toml): the
# whole project against all of requirements*.in, then the hub's own code (hub.py, core/,
# ui/, deploy/) against what the hub alone installs. (deptry reads requirements-dev.in's
# `-c requirements.txt` as nothing to check, and says so: that warning is left out.)
DEPTRY := PYTHONWARNINGS="ignore:Unused option -c" $(VENV)/bin/deptry

# `python -c "$(AT_LEAST_311)"` fails on a Python older than 3.11 (or none at all).
AT_LEAST_311 := import sys; sys.exit(sys.version_info < (3, 11))

.PHONY: run stop test test-fast test-requirements venv lock

# The stamps that say .venv holds what a goal needs: any other stamp means that .venv was
# installed from another version of a lock, and the venv target makes it anew.
run: KEEP := $(RUN_STAMP) $(TEST_STAMP)
run: venv
	@if [ -f $(RUN_STAMP) ] || [ -f $(TEST_STAMP) ]; then \
	  echo "requirements: up to date in $(VENV) (requirements.txt unchanged since the last install)"; \
	else \
	  echo "requirements: installing requirements.txt into $(VENV) (minutes the first time)"; \
	  $(INSTALL) requirements.txt || exit 1; \
	  touch $(RUN_STAMP); \
	fi
ifeq ($(REPLICAS),1)
	$(PY) hub.py $(ARGS)
else
	$(PY) -m deploy.replicas --replicas $(REPLICAS) $(ARGS)
endif

# REPLICAS=N: deploy/replicas.py finds HAProxy (or, as root on Debian, installs Debian's
# haproxy, as `make test` does Chromium) and serves N hub processes behind it; Ctrl-C
# there, or `make stop` from another terminal, stops HAProxy and every replica.
stop:
	@$(PY) -m deploy.replicas --stop

test-requirements: KEEP := $(TEST_STAMP) $(RUN_STAMP)
test-requirements: venv
	@if [ -f $(TEST_STAMP) ]; then \
	  echo "requirements: up to date in $(VENV) (requirements-dev.txt unchanged since the last install)"; \
	else \
	  echo "requirements: installing requirements-dev.txt into $(VENV) (minutes the first time)"; \
	  $(INSTALL) requirements-dev.txt || exit 1; \
	  rm -f $(VENV)/.installed-*; touch $(TEST_STAMP); \
	fi

test: test-requirements
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEPTRY) .
	$(DEPTRY) . --requirements-files requirements.in --extend-exclude "tests|training|bench|tools|data"
	@chrome="$(HUB_CHROMIUM)"; route="HUB_CHROMIUM"; \
	playwrights_own() { $(PY) -c "from playwright.sync_api import sync_playwright as s; p = s().start(); print(p.chromium.executable_path); p.stop()" 2>/dev/null; }; \
	if [ -z "$$chrome" ]; then \
	  for name in chromium chromium-browser google-chrome google-chrome-stable chrome \
	      "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
	      "/Applications/Chromium.app/Contents/MacOS/Chromium"; do \
	    if found=$$(command -v "$$name" 2>/dev/null); then chrome=$$found; route="already installed"; break; fi; \
	  done; \
	fi; \
	if [ -z "$$chrome" ]; then \
	  own=$$(playwrights_own); \
	  if [ -n "$$own" ] && [ -x "$$own" ]; then chrome=$$own; route="playwright's, already downloaded"; fi; \
	fi; \
	if [ -z "$$chrome" ] && [ "$$(id -u)" = 0 ] && grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then \
	  echo "browser: none found; installing Debian's chromium (apt-get install chromium)"; \
	  apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null \
	    && chrome=$$(command -v chromium) && route="apt-get install chromium"; \
	fi; \
	if [ -z "$$chrome" ]; then \
	  echo "browser: none found; trying playwright install chromium"; \
	  $(VENV)/bin/playwright install chromium >/dev/null 2>&1 \
	    && own=$$(playwrights_own) && [ -x "$$own" ] && chrome=$$own && route="playwright install chromium"; \
	fi; \
	if [ -z "$$chrome" ]; then \
	  echo "make: no Chromium or Chrome for the browser tests: install chromium (apt-get install chromium as root on Debian), or run .venv/bin/playwright install chromium where it can download, or pass HUB_CHROMIUM=/path/to/chrome" >&2; \
	  exit 1; \
	fi; \
	echo "browser: $$chrome ($$route)"; \
	if fc-list 2>/dev/null | grep -qi "color emoji"; then \
	  echo "fonts: a colour emoji font (fc-list)"; \
	elif [ "$$(id -u)" = 0 ] && grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then \
	  echo "fonts: no colour emoji font; installing Debian's fonts-noto-color-emoji (the pages' emoji, in the browser tests' pictures)"; \
	  apt-get update -q >/dev/null && apt-get install -y -q fonts-noto-color-emoji >/dev/null; \
	else \
	  echo "fonts: fc-list finds no colour emoji font: install one (Debian: fonts-noto-color-emoji), or tests/test_first_minute.py fails"; \
	fi; \
	echo "HUB_CHROMIUM=$$chrome $(PY) -m pytest $(PYTEST_ARGS)"; \
	HUB_CHROMIUM="$$chrome" $(PY) -m pytest $(PYTEST_ARGS)

# Between edits: ruff and the tests that are neither slow (trainings, conversions, deptry,
# benches) nor e2e (a served hub, a browser, other processes), as pyproject.toml's markers
# and tests/conftest.py sort them: no browser needed. `make test` still runs everything.
test-fast: test-requirements
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -m "not slow and not e2e" $(PYTEST_ARGS)

# The virtual environment: kept while its Python runs and has pip and it holds no other
# version of a lock than the goal's (KEEP), else made anew.
venv:
	@stale=; \
	for stamp in $(VENV)/.installed-*; do \
	  case " $(KEEP) " in *" $$stamp "*) ;; *) [ -f "$$stamp" ] && stale=$$stamp;; esac; \
	done; \
	if [ -z "$$stale" ] && $(PY) -c "$(AT_LEAST_311)" 2>/dev/null && [ -x $(VENV)/bin/pip ]; then \
	  echo "python: $(PY), $$($(PY) -V 2>&1) (the existing $(VENV))"; \
	else \
	  base=; \
	  for name in python3.11 python3.12 python3; do \
	    if $$name -c "$(AT_LEAST_311)" >/dev/null 2>&1; then base=$$name; break; fi; \
	  done; \
	  if [ -z "$$base" ]; then \
	    echo "make: no Python >= 3.11 (tried python3.11, python3.12, python3): install Python 3.11 or newer" >&2; \
	    exit 1; \
	  fi; \
	  version=$$($$base -c "import sys; print('%d.%d' % sys.version_info[:2])"); \
	  if ! $$base -c "import venv, ensurepip" >/dev/null 2>&1; then \
	    echo "make: $$base (Python $$version) has no venv module: install the package python$$version-venv (Debian, Ubuntu: apt-get install python$$version-venv)" >&2; \
	    exit 1; \
	  fi; \
	  why="makes $(VENV)"; \
	  [ -n "$$stale" ] && why="makes $(VENV) anew (it was installed from another version of a lock)"; \
	  echo "python: $$base, $$($$base -c 'import sys; print("Python", sys.version.split()[0], "at", sys.executable)'), $$why"; \
	  rm -rf $(VENV); \
	  $$base -m venv $(VENV) || exit 1; \
	fi

# The locks, written again from the declarations (*.in); commit them with the change.
lock: test-requirements
	$(COMPILE) requirements.in -o requirements.txt
	$(COMPILE) requirements-dev.in -o requirements-dev.txt
	$(COMPILE) tests/olah-requirements.in -o tests/olah-requirements.txt
