# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The runtime (requirements.lock: what `make run` needs) and, on top, the dev extra
# (requirements-dev.lock: the tests, linters and browser driver). Each stamp says which lock
# the venv was last brought up to.
RUNTIME := $(VENV)/.runtime-from-lock
DEV := $(VENV)/.dev-from-lock
# pip 23 (Python 3.11's bundled one) rejects hashed requirements with extras; pin a newer one.
PIP_VERSION := 26.0.1
UV_VERSION := 0.13.8

.PHONY: run test lint format lock materialize up runtime clean-venv mutation

$(RUNTIME): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(DEV): $(RUNTIME) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

## runtime: the venv with the runtime lock only (what `make run` builds; VENV=path for another)
runtime: $(RUNTIME)

# `make run OGRINE_DAGSTER_PORT=3001` as well as `OGRINE_DAGSTER_PORT=3001 make run`.
export OGRINE_DAGSTER_PORT OGRINE_MLFLOW_PORT OGRINE_SERVICE_PORT

## run: train and publish once if no forecast exists yet, then start Dagster and MLflow
run: $(RUNTIME)
	@test -f "$$($(BIN)/ogrine paths --forecast)" || $(BIN)/ogrine materialize
	$(BIN)/ogrine up

## test: the whole test suite
test: $(DEV)
	$(BIN)/python -m pytest

## lint: ruff (lint and format) over everything, mypy over ogrine_assets/
lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## mutation: which small regressions the tests miss (mutmut; SCOPE=quick|core|recovery|full; not in CI)
mutation: $(DEV)
	$(BIN)/python -m benchmarks.mutation --scope $(or $(SCOPE),core)

materialize: $(RUNTIME)
	$(BIN)/ogrine materialize

up: $(RUNTIME)
	$(BIN)/ogrine up

## lock: re-resolve both lock files from pyproject.toml (needs the package index)
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet uv==$(UV_VERSION)
	.lock-venv/bin/uv pip compile pyproject.toml --python-version 3.11 \
		--generate-hashes -o requirements.lock
	.lock-venv/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--generate-hashes -o requirements-dev.lock
	rm -rf .lock-venv

clean-venv:
	rm -rf $(VENV)
