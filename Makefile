# One command to run the product, one to run the tests; each sets itself up.
#
# Installs are reproducible: every package comes from uv.lock (exact versions and
# hashes). uv itself is installed, pinned and hash-checked, into .tools/.
# `make lock` re-resolves on purpose; nothing else ever picks up a new release.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Installed packages come with their bytecode: where PYTHONDONTWRITEBYTECODE is set (CI)
# every process would otherwise compile boto3, SQLAlchemy… from source at each start.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test lint bench demo lock clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes -r tools/uv-requirements.txt

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --inexact --quiet
	touch $@

$(TEST_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra test --quiet
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/inspector console

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tests
	$(BIN)/lint-imports

# Three workers (pytest-xdist): most tests wait on servers, peers and timeouts, so two
# cores are idle half the run otherwise; tests/conftest.py keeps the network lab and the
# browser tests on one worker each, started first. `make test PYTEST_ARGS=` runs them one at a time.
PYTEST_ARGS ?= -n 3

test: lint
	@# The project's bytecode too (a speed-up only: a failure here stops nothing).
	-$(BIN)/python -m compileall -q -j 0 inspector ui
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(PYTEST_ARGS)

# The quick figures (a few minutes); bench/load.py, bench/team.py, bench/soak.py (30 min) and
# bench/console_soak.py (10 min) run on their own.
bench: $(STAMP)
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/ocr.py --per-condition 5 --repeat 5
	$(BIN)/python bench/privacy.py --per-view 1
	$(BIN)/python bench/live.py --quick
	$(BIN)/python bench/recording.py --seconds 15
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/console.py

# Re-resolve every dependency to the newest allowed release, on purpose. Then run
# `make test` (it includes the PySide6 reference-leak check) before committing uv.lock.
lock: | $(UV)
	$(UV) lock --upgrade
	rm -f $(STAMP) $(TEST_STAMP)

clean:
	rm -rf $(VENV) $(TOOLS) build dist *.egg-info
