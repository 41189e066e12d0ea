# Acme Importer. `make run` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
# `make run PORT=8001` (or PORT in the environment); `make run HOST=0.0.0.0` for every interface
HOST := 127.0.0.1
PORT ?= 8000
export ACME_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: screenshots run test install install-dev lint typecheck contracts unit integration e2e bench browser clean
.PHONY: dockerlint infra
TOOLS := .venv-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv>=0.4,<1"

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/acme db upgrade
	$(BIN)/acme serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

contracts: install-dev
	$(BIN)/lint-imports

unit: install-dev
	$(BIN)/pytest tests/unit -q

integration: install-dev
	$(BIN)/pytest tests/integration -q

e2e: install-dev browser
	$(BIN)/pytest tests/e2e -q

# the production files: Dockerfile (hadolint, from the dev deps) and terraform/ (checkov, in its
# own virtualenv so its pinned dependencies never meet the app's); no Docker engine or cloud needed
dockerlint: install-dev
	$(BIN)/hadolint --failure-threshold info Dockerfile

$(TOOLS)/.installed: $(BIN)/python tools/requirements.txt
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(TOOLS)
	$(UV) pip install --quiet --python $(TOOLS)/bin/python -r tools/requirements.txt
	touch $@

infra: $(TOOLS)/.installed
	$(TOOLS)/bin/checkov --directory terraform --framework terraform --quiet --compact --skip-download

test: install-dev browser lint typecheck contracts dockerlint infra
	$(BIN)/pytest tests -q

bench: install-dev
	$(BIN)/python -m bench

screenshots: install-dev browser
	ACME_UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/e2e -q

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .mypy_cache .ruff_cache

browser:
	./scripts/ensure-browser.sh
