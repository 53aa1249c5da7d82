# One command to run the product, one to run the tests; each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/inspector console

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

# The quick figures (a few minutes); bench/load.py and bench/soak.py (30 min) run on their own.
bench: $(STAMP)
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/live.py --quick
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/console.py

clean:
	rm -rf $(VENV) build dist *.egg-info
