# The two commands of the README:  `make app`  and  `make test`.
# Each sets up what it needs on a fresh machine (a virtual environment in .venv, and as root the
# Debian packages: graphviz for graph SVGs, chromium for figure export and the browser tests, postgresql
# for the run-store tests), then runs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# icons in exported figures and screenshots
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

.PHONY: app test test-fast lint bench setup setup-dev

app: setup
	$(PY) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# two runs: the browser tests share one Streamlit server and its run store, so they run on their own
test: setup-dev
	$(PY) -m pytest -q -m "not browser"
	$(PY) -m pytest -q -m browser

# unit + AppTest only (no browser): the quick loop while editing
test-fast: setup-dev
	$(PY) -m pytest -q -m "not browser"

# ruff (lint + format check) and the import-layer contracts of pyproject.toml
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: setup-dev
	$(PY) -m pip install -q -r requirements-bench.txt
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

setup: $(VENV)/.app-installed
	@command -v dot >/dev/null && test -x /usr/bin/chromium && test -e $(EMOJI_FONT) || \
		./scripts/apt-install.sh graphviz chromium fonts-dejavu-core fonts-noto-color-emoji

# the run-store tests start a PostgreSQL server of their own (tests/conftest.py postgres_url)
setup-dev: setup $(VENV)/.dev-installed
	@test -n "$(wildcard /usr/lib/postgresql/*/bin/initdb)" || ./scripts/apt-install.sh postgresql

$(VENV)/.app-installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.app-installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@
