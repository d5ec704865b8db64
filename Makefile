# The two quickstart commands. Each creates .venv and installs what it needs
# on first use (and again whenever pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "neurotriage needs Python 3.11 or newer (PYTHON=$(PYTHON))")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

## demo: evaluate an example profile on the built-in rule set
demo: $(STAMP)
	$(BIN)/neurotriage evaluate examples/diabetes-not-cleared.json

## test: lint, type-check and run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

## bench: latency, overhead, compile time and memory (prints a table and writes
## bench/results.json; reports targets, asserts nothing). BENCH_ARGS=--quick for a short run.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
