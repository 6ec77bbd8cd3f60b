# The interface between the parts: `make setup`, `make run`, `make test`.
# Everything a fresh machine needs is installed from here (Python via uv into .venv,
# the dbt manifest, the dashboards' npm packages from their lockfile).

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The machine's python3, found before the venv goes onto PATH below.
SYSTEM_PYTHON := $(shell command -v python3)
UV := $(SYSTEM_PYTHON) -m uv
export UV_COMPILE_BYTECODE := 1
export DO_NOT_TRACK := 1
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# The venv's tools (dbt, dagster) first: dagster-dbt finds dbt on PATH when it parses.
export PATH := $(CURDIR)/$(BIN):$(PATH)
# `make setup` parses dbt with the repo profile's defaults: the dbt process of `leitstand run`
# starts from that parse state (dagster_project/transform/warm.py, PARSE_ENV).
unexport LEITSTAND_BUILD_DB LEITSTAND_DUCKDB_MEMORY_LIMIT
# The Dagster UI's port: `make dev PORT=3001`.
PORT ?= 3000

DBT_FILES := $(shell find dbt -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.py' \) -not -path 'dbt/target/*' 2>/dev/null)

.PHONY: setup run test check lint bench sample dev clean

setup: $(VENV)/.installed dbt/target/manifest.json dashboards/node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || $(SYSTEM_PYTHON) -m pip install --quiet uv
	@test -x $(BIN)/python || $(UV) venv --quiet -p 3.11 $(VENV)
	$(UV) pip install --quiet -p $(VENV) -e '.[dev]'
	@touch $@

dbt/target/manifest.json: $(VENV)/.installed $(DBT_FILES)
	$(BIN)/dagster-dbt project prepare-and-package --file dagster_project/transform/project.py >/dev/null
	@touch $@

# `npm install --no-save` installs exactly the lockfile's versions. Not `npm ci`: the registry
# reached here holds only this platform's optional native packages, so the lockfile lists no
# entries for the others, and `npm ci` refuses a lockfile that lacks them.
dashboards/node_modules/.installed: dashboards/package.json dashboards/package-lock.json
	cd dashboards && npm install --no-save --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(BIN)/leitstand run

# The tests in one process per core (pytest-xdist), a test module's tests in one process:
# the module fixtures (a pipeline run, a built site) are made once, the longest modules
# first (tests/conftest.py LONG_MODULES). CI's 2 cores: ~1.6x.
PYTEST_WORKERS ?= $(shell nproc)
test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: setup
	$(BIN)/ruff check .

# The inner loop (~4-5 minutes on 2 cores): lint, then the tests not marked slow or browser.
check: lint
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not slow and not browser"

# Benchmark at several scales (minutes; not part of `make test`): bench/README.md
bench: setup
	$(BIN)/python -m bench

sample: setup
	$(BIN)/python -m dagster_project.sample --out sources

dev: setup
	$(BIN)/dagster dev -p $(PORT)

clean:
	rm -rf data dbt/target dbt/logs
