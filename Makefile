# The two commands of the README: `make run` serves the hub, `make test` runs every test.

.PHONY: run test

run:
	pip install -q -r requirements.txt
	python hub.py

# The browser tests drive Debian's Chromium through playwright (never `playwright install`).
test:
	[ -x /usr/bin/chromium ] || (apt-get update -q && apt-get install -y -q chromium)
	pip install -q -r requirements-dev.txt
	ruff check .
	ruff format --check .
	python -m pytest
