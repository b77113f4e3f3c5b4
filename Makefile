# Two entry points for a fresh machine with Python 3.11: `make run` and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run chat test lint check bench locales-extract locales-update clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# compileall: where PYTHONDONTWRITEBYTECODE is set, each start would compile bot/ again.
run: $(STAMP)
	$(PY) -m compileall -q bot
	$(PY) -m bot run

chat: $(STAMP)
	$(PY) -m bot chat

check: $(STAMP)
	$(PY) -m bot content check

lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests benchmarks
	$(VENV)/bin/ruff format --check bot tests benchmarks
	$(VENV)/bin/mypy

test: lint
	$(PY) -m bot content check
	$(PY) -m pytest

# Load, latency, memory and start-up against a bare python-telegram-bot echo bot; appends the
# results to BENCHMARKS.md (see benchmarks/telegram_load.py).
bench: $(STAMP)
	$(PY) -m compileall -q bot
	$(PY) benchmarks/telegram_load.py

# Interface strings: extract from the code, then merge into every language's catalog (keeping
# its header and line width; no fuzzy guesses, which gettext would silently skip).
# Catalogs are compiled in memory when the bot starts, so there is no .mo file to go stale.
locales-extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ --no-location --sort-output \
		--omit-header -o locales/messages.pot bot

locales-update: locales-extract
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages \
		--width 100 --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
