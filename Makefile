# The two commands of the README: `make run` serves the hub, `make test` runs every test.
#
# Both work in the project's own virtual environment, .venv, made on first use from the
# first Python >= 3.11 among python3.11, python3.12 and python3, and install into it only
# when the requirements files changed since the last install (a stamp file in .venv), so
# a second `make run` starts at once. Each choice is printed on a line of its own.
#
#   make run ARGS="--only digits_recognition_cnn --port 7861"   options of hub.py
#   make run REPLICAS=2                                          2 hub processes behind HAProxy
#   make stop                                                    stops a `make run REPLICAS=N`
#   make test PYTEST_ARGS=tests/test_hub.py                      part of the suite
#   make test HUB_CHROMIUM=/path/to/chrome                       the browser to drive

SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=
REPLICAS ?= 1
PYTEST_ARGS ?=
REPLICAS ?= 1
HUB_CHROMIUM ?=

# A stamp per set of requirements, named by the checksum of the files' contents.
RUN_SUM := $(shell cat requirements.txt | cksum | cut -d ' ' -f 1)
TEST_SUM := $(shell cat requirements.txt requirements-dev.txt requirements-train.txt | cksum | cut -d ' ' -f 1)
RUN_STAMP := $(VENV)/.installed-run-$(RUN_SUM)
TEST_STAMP := $(VENV)/.installed-test-$(TEST_SUM)

# `python -c "$(AT_LEAST_311)"` fails on a Python older than 3.11 (or none at all).
AT_LEAST_311 := import sys; sys.exit(sys.version_info < (3, 11))

.PHONY: run stop test venv

run: venv
	@if [ -f $(RUN_STAMP) ] || [ -f $(TEST_STAMP) ]; then \
	  echo "requirements: up to date in $(VENV) (requirements.txt unchanged since the last install)"; \
	else \
	  echo "requirements: installing requirements.txt into $(VENV) (minutes the first time)"; \
	  $(PY) -m pip install -q -r requirements.txt || exit 1; \
	  rm -f $(VENV)/.installed-run-*; touch $(RUN_STAMP); \
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

test: venv
	@if [ -f $(TEST_STAMP) ]; then \
	  echo "requirements: up to date in $(VENV) (requirements*.txt unchanged since the last install)"; \
	else \
	  echo "requirements: installing requirements-dev.txt into $(VENV) (minutes the first time)"; \
	  $(PY) -m pip install -q -r requirements-dev.txt || exit 1; \
	  rm -f $(VENV)/.installed-run-* $(VENV)/.installed-test-*; touch $(RUN_STAMP) $(TEST_STAMP); \
	fi
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
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

# The virtual environment: kept while its Python runs and has pip, else made anew.
venv:
	@if $(PY) -c "$(AT_LEAST_311)" 2>/dev/null && [ -x $(VENV)/bin/pip ]; then \
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
	  echo "python: $$base, $$($$base -c 'import sys; print("Python", sys.version.split()[0], "at", sys.executable)'), makes $(VENV)"; \
	  rm -rf $(VENV); \
	  $$base -m venv $(VENV) || exit 1; \
	fi
