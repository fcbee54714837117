# Beyond Maximum Likelihood: build, test and run the book (GNU make).
#
#   make book     create .venv if needed, build the book strictly -> _build/html/index.html
#   make test     lint, unit tests, every chapter under nbval (twice: with the kernels torch picks for
#                 this CPU, then with its portable ones), strict book build, the built pages in
#                 a browser (in that order)
#   make lint | unit | nbval | nbval-portable | browser   one step of `make test`
#   make browser  every built page in headless chromium, offline, at 1280 px: maths typeset,
#                 widths, figures, links, JS errors; screenshots -> _build/screenshots/
#   make run EXP=differentiable_bleu PRESET=paper [ARGS="-p device cuda"]
#   make outputs [NB=book/PART/CHAPTER.ipynb]   re-execute chapters in place (committed outputs)
#   make lock     re-resolve requirements.lock from pyproject.toml's ranges (newest releases)
#   make clean    remove the built book and caches (distclean also removes .venv)
#   make gpu-plan     each GPU job's estimated GPU time, from counted runs here (some minutes)
#   make gpu-prepare  wheels, CoT's oracle and the source manifest to carry to a GPU machine
#   make gpu          on the GPU machine: every pending GPU job within GPU_BUDGET s (540)
#   make gpu-dry-run  the same jobs for a few steps on this CPU (also a unit test)
#
# Only `python3` (3.11) is needed: the first target creates .venv and installs into it the exact
# versions of requirements.lock (the package's dependencies and its dev extra: torch 2.13.0,
# Jupyter Book 1.x, nbval, ruff, ...), then the package itself without resolving again.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# The installer itself, and the resolver that writes the lock, are pinned too.
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.6.2
JOBS ?= 2
EXP ?=
PRESET ?= book
ARGS ?=
NB ?=
GPU_BUDGET ?= 540

# Same hashing, hence the same set and dict orders, in every process and kernel.
export PYTHONHASHSEED := 0

# Tests and builds: no progress bars. Unit tests: no display needed for figures. (The notebooks'
# kernels keep their inline backend: book/conftest.py removes MPLBACKEND before they start.)
test lint unit nbval nbval-portable book browser: export BEYOND_MLE_PROGRESS := 0
test unit: export MPLBACKEND := Agg

NBVAL_FLAGS := --nbval-lax --nbval-current-env --nbval-sanitize-with book/nbval_sanitize.cfg \
	--ignore=book/results -p no:cacheprovider -n $(JOBS) --dist loadscope

.PHONY: help book test lint unit nbval nbval-portable browser run outputs lock clean distclean \
	gpu gpu-plan gpu-prepare gpu-dry-run

help:
	@sed -n '3,17p' Makefile | sed 's/^# \{0,1\}//'

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install "pip==$(PIP_VERSION)"
	$(BIN)/python -m pip install -r $(LOCK)
	$(BIN)/python -m pip install --no-deps -e .
	test -f $(VENV)/share/jupyter/kernels/python3/kernel.json \
		|| $(BIN)/python -m ipykernel install --sys-prefix --name python3
	touch $@

# `--all` rebuilds every page, so that a warning in an unchanged page still fails the build.
book: $(STAMP)
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check code tests book
	$(BIN)/ruff format --check code tests book/_ext
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest tests -n $(JOBS) --dist loadgroup -q -p no:cacheprovider --ignore=tests/browser

# The book as a reader opens it: Debian's chromium (driven by playwright, no browser download),
# the network refused. Needs `make book` first; `make test` runs it last.
browser: $(STAMP)
	@test -f _build/html/index.html || { echo "no built book: run make book first"; exit 1; }
	$(BIN)/python -m pytest tests/browser -q -p no:cacheprovider

nbval: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL_FLAGS) book

# The same comparison under another floating-point environment: torch's portable kernels instead
# of the ones it picked for this processor. What nbval compares must not depend on the CPU.
nbval-portable: export ATEN_CPU_CAPABILITY := default
nbval-portable: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL_FLAGS) book

# Each step in turn; the first failure stops the run. Each step's wall time is printed.
test: $(STAMP)
	@for step in lint unit nbval nbval-portable book browser; do \
		echo "==> make $$step"; t0=$$(date +%s); \
		$(MAKE) --no-print-directory $$step || { echo "==> make $$step FAILED"; exit 1; }; \
		echo "==> make $$step: $$(( $$(date +%s) - t0 )) s"; \
	done

run: $(STAMP)
	@test -n "$(EXP)" || { echo 'usage: make run EXP=<experiment> [PRESET=book|paper] [ARGS="-p name value ..."]'; \
		$(BIN)/python -m beyond_mle list; exit 2; }
	$(BIN)/python -m beyond_mle run $(EXP) --preset $(PRESET) $(ARGS)

# Every chapter (or the notebooks in NB) re-executed at its defaults and written back in place,
# without timestamps or papermill metadata; a notebook whose cell fails is left unchanged.
outputs: $(STAMP)
	$(BIN)/python -m beyond_mle execute $(NB)

# pip-compile resolves with pip, which takes torch's CPU build where one lies on disk (a plain
# resolver would pin the CUDA build's nvidia-* wheels); the lock names torch without its local
# "+cpu" label, so that the same file installs torch 2.13.0 from PyPI or a CPU wheel index.
lock: $(STAMP)
	$(BIN)/python -m pip install -q "pip-tools==$(PIP_TOOLS_VERSION)"
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --upgrade --extra dev \
		--strip-extras --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	sed -i 's/^\(torch==[^+]*\)+.*$$/\1/' $(LOCK)
	@echo "$(LOCK): $$(grep -c '==' $(LOCK)) pinned packages"

clean:
	rm -rf _build .pytest_cache .ruff_cache .mypy_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# GPU jobs (code/benchmarks/gpu_suite.py). `gpu` runs on the lent machine, whose python3 has torch
# with CUDA and no registry: it needs no .venv, only what gpu-prepare put in .whl, .data, .gpu.
gpu:
	OUT="$${OUT:-_build/gpu}" GPU_BUDGET=$(GPU_BUDGET) bash code/benchmarks/gpu.sh

gpu-plan: $(STAMP)
	$(BIN)/python code/benchmarks/gpu_suite.py plan --write --budget $(GPU_BUDGET)

gpu-prepare: $(STAMP)
	$(BIN)/python code/benchmarks/gpu_suite.py prepare

gpu-dry-run: $(STAMP)
	$(BIN)/python code/benchmarks/gpu_suite.py run --dry-run --out _build/gpu-dry-run --budget 1800
