# Two commands for a fresh machine: `make demo` and `make test`.
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The tests also need the explorer extra and Debian's chromium for the browser test.
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test bench install clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) scripts/ci-deps.sh
	PYTHON=$(BIN)/python bash scripts/ci-deps.sh
	touch $(TEST_STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p out
	$(BIN)/negosim analyze scenarios/plan28_2025_11.yaml
	$(BIN)/negosim analyze scenarios/plan28_2025_11.yaml --json > out/plan28_2025_11.json
	@echo "wrote out/plan28_2025_11.json"

# The suite runs on every core (pytest-xdist, at most four workers). --dist loadfile keeps each
# test file on one worker, so a file's module-scoped fixtures are built once.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_analysis.py

clean:
	rm -rf $(VENV) out .pytest_cache
