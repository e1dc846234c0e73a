# Two commands for a newcomer: `make run` and `make test`. Each creates .venv when it is missing
# and (re)installs into it whenever pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Compiled bytecode is kept in .venv/pycache rather than beside the sources, and written even where
# PYTHONDONTWRITEBYTECODE is set, as a learner's Python writes it by default: without it every
# process compiles apilab anew, and every pytest process rewrites its plugins' assertions anew.
PY     := PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache
# pip would compile what it installs beside it, where the commands above never look; it installs
# without, and the installed libraries and apilab are compiled once, into .venv/pycache, by every
# core at once (tools/compile_bytecode.py). Otherwise each process compiles what it imports the
# first time it runs, each of the test workers the same modules at the same time. A file that
# does not compile (none does today) is reported when imported, as it would be without this step.
COMPILE = $(PY) $(BIN)/python tools/compile_bytecode.py $(VENV)/lib . || true

.PHONY: run test bench lint verify dist clean

run: $(VENV)/.installed-run
	$(PY) $(BIN)/apilab

test: $(VENV)/.installed-test
	$(PY) $(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(PY) $(BIN)/python -m bench

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

verify: $(VENV)/.installed-run
	$(PY) $(BIN)/apilab verify

# The wheel and sdist a learner installs (pipx install dist/apilab-*.whl), built from the sdist.
dist: $(VENV)/.installed-test
	$(BIN)/python -m build --no-isolation --outdir dist .

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "apilab needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version)."; \
		  echo "Run: make run PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	@$(COMPILE)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --no-compile -e '.[test]'
	@$(COMPILE)
	@touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) .pytest_cache dist
