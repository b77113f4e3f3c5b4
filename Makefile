# Two entry points for a fresh machine with Python 3.11: `make run` and `make test`.
# Both create .venv on first use and install the exact versions of the lock files:
# requirements.lock (what running needs) for `make run`, requirements-dev.lock (that and the
# tools) for `make test`; they reinstall when a lock file changes. `make lock` refreshes the
# lock files after pyproject.toml changed (keeping the current versions; `make lock
# UPGRADE=--upgrade` moves everything to the newest releases).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
UPGRADE ?=

.PHONY: run chat test lint check bench lock locales-extract locales-update clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(VENV)/bin/python
	$(PIP) --require-hashes -r requirements.lock
	$(PIP) --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): requirements-dev.lock $(STAMP)
	$(PIP) --require-hashes -r requirements-dev.lock
	touch $(DEV_STAMP)

lock: $(DEV_STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" $(UPGRADE) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" $(UPGRADE) \
		-o requirements-dev.lock

# compileall: where PYTHONDONTWRITEBYTECODE is set, each start would compile bot/ again.
run: $(STAMP)
	$(PY) -m compileall -q bot
	$(PY) -m bot run

chat: $(STAMP)
	$(PY) -m bot chat

check: $(STAMP)
	$(PY) -m bot content check

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check bot tests benchmarks
	$(VENV)/bin/ruff format --check bot tests benchmarks
	$(VENV)/bin/mypy

test: lint
	$(PY) -m bot content check
	$(PY) -m pytest

# Load, latency, memory and start-up against a bare python-telegram-bot echo bot; appends the
# results to BENCHMARKS.md (see benchmarks/telegram_load.py).
bench: $(DEV_STAMP)
	$(PY) -m compileall -q bot
	$(PY) benchmarks/telegram_load.py

# Interface strings: extract from the code, then merge into every language's catalog (keeping
# its header and line width; no fuzzy guesses, which gettext would silently skip).
# Catalogs are compiled in memory when the bot starts, so there is no .mo file to go stale.
locales-extract: $(DEV_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ --no-location --sort-output \
		--omit-header -o locales/messages.pot bot

locales-update: locales-extract
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages \
		--width 100 --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
