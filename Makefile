# The template's tasks. `make` lists them.
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
# uv from the PATH, else a private copy installed with pip the first time it is needed.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --locked
DEMO := build/demo
# pytest-xdist workers: one per core and one more, unless told otherwise (make test WORKERS=1). Many tests
# spend part of their time waiting (on a server starting, a process being killed, uv linking files), which a
# spare worker fills.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

# Python caches the bytecode of what it imports, so the next process need not compile it again: the suite
# starts dbt, cfn-lint and the baked projects' tools hundreds of times. Many environments turn that off
# (PYTHONDONTWRITEBYTECODE); the tasks here turn it back on.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup demo test test-fast lint options clean

help: ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

setup: $(UV) ## Install the template's tools into .venv
	$(UV) sync --locked

demo: setup ## Bake the default project into build/demo and run its pipeline
	rm -rf $(DEMO)
	$(RUN) cookiecutter --no-input --output-dir $(DEMO) .
	$(MAKE) -C $(DEMO)/purchase-intent setup run UV="$(abspath $(UV))"
	@echo
	@echo "The demo project is in $(DEMO)/purchase-intent:"
	@echo "  metrics and plots   $(DEMO)/purchase-intent/artifacts/accepted/evaluation/"
	@echo "  accepted model      $(DEMO)/purchase-intent/artifacts/accepted/model/model.json"
	@echo "  deployment bundle   $(DEMO)/purchase-intent/dist/lambda.zip"

.PHONY: bench
bench: setup ## Benchmark a default bake against a pandas baseline (SIZES=...): report in docs/benchmarks/
	$(RUN) python benchmarks/run.py $(if $(SIZES),--sizes $(SIZES))

test: setup ## The complete suite: bakes, lints, and sets up and runs baked projects (TESTS=... for a part)
	$(RUN) pytest -n $(WORKERS) --dist loadgroup --durations=20 $(TESTS)

test-fast: setup ## The fast selection (no baked project is set up or run)
	$(RUN) pytest -n $(WORKERS) -m "not slow"

lint: setup ## Lint the template's own code and the rendered hooks
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) python scripts/options.py --check

options: setup ## Write every list of choices from options.toml (cookiecutter.json, hooks, README tables)
	$(RUN) python scripts/options.py

clean: ## Remove scratch bakes
	rm -rf build
