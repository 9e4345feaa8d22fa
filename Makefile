# Two commands do all set-up on a fresh machine (Python 3.11 and make):
#   make pilot   run the RV-Q pilot on the demo data
#   make test    run the whole test suite (lint, unit, statistical, notebooks)
# Both create .venv when it is missing and reinstall when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rvq-installed
DEMO := data/demo

.PHONY: pilot test lint lab demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DEMO)/truth.json: $(STAMP)
	$(BIN)/rvq demo --out $(DEMO)

demo: $(DEMO)/truth.json

pilot: $(STAMP) demo
	$(BIN)/rvq validate $(DEMO)
	$(BIN)/rvq pilot $(DEMO)

lint: $(STAMP)
	$(BIN)/ruff check rvq tests notebooks benchmarks
	$(BIN)/ruff format --check rvq tests notebooks benchmarks
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lab: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name rvq --display-name "rvq (.venv)"
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) $(DEMO) reports/*/
