# yrdplan's one task runner. `make run` and `make test` work on a fresh machine with Python ≥ 3.11.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DB ?= sqlite:///yrdplan.db

.PHONY: run test install install-test browser lint format bench clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "yrdplan needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

## Set up, build the embedded default database if missing, and serve http://127.0.0.1:8000
run: install
	$(VENV)/bin/yrdplan init --db $(DB)
	$(VENV)/bin/yrdplan serve --db $(DB)

## Install what the tests need (Python packages, Debian's chromium and CJK fonts) and run them all
test: $(VENV)/.installed-test browser
	$(PY) -m pytest

# Browser tests use Debian's chromium; CJK fonts make the screenshots (and later PDFs) legible.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; }

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check yrdplan tests bench
	$(VENV)/bin/ruff format --check yrdplan tests bench

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format yrdplan tests bench
	$(VENV)/bin/ruff check --fix yrdplan tests bench

bench: $(VENV)/.installed-test
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf build .pytest_cache .hypothesis
