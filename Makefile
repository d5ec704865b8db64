# The two quickstart commands. Each creates a virtual environment and installs
# what it needs on first use (and again whenever pyproject.toml or
# constraints.txt changes).
#
# One environment per interpreter: .venv for the default python3, .venv-3.13
# for PYTHON=python3.13, and so on. Its stamp names the interpreter's version,
# so an environment built by another interpreter is rebuilt, never reused.
PYTHON ?= python3
# The interpreter itself; a pyenv shim of a version that is installed but not
# enabled (python3.13 under pyenv, say) is resolved to that version's binary.
PY := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null || \
	ls -d "$$(pyenv root 2>/dev/null)"/versions/*/bin/$(PYTHON) 2>/dev/null | tail -n 1)
PY_VERSION := $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV := $(if $(filter python3,$(PYTHON)),.venv,.venv-$(PY_VERSION))
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(PY_VERSION)
# Exact versions for development and CI; the library's own ranges stay open.
CONSTRAINTS := constraints.txt

.PHONY: demo test bench constraints

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -n "$(PY)" || { echo "no Python interpreter found for PYTHON=$(PYTHON)" >&2; exit 1; }
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "neurotriage needs Python 3.11 or newer (PYTHON=$(PYTHON))")'
	$(PY) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev]'
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

## constraints: refresh constraints.txt: the newest releases pyproject.toml's
## ranges allow, installed into a scratch environment and frozen exactly.
constraints:
	rm -rf .venv-constraints
	$(PY) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ echo "# Exact versions for development and CI installs (make demo, make test)."; \
	  echo "# Refresh with: make constraints. Users of the library get pyproject.toml's ranges."; \
	  .venv-constraints/bin/python -m pip freeze --disable-pip-version-check --exclude-editable \
	    | LC_ALL=C sort -f; } > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)
	rm -rf .venv-constraints
