# Two entry points for a fresh machine: `make run` (the main job on the bundled sample) and
# `make test`. Both create the virtual environment first if it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: run test lint venv clean

venv: $(VENV)/.installed

# Reinstall when the pinned dependencies in pyproject.toml change (torch 2.14.1 + torchvision
# 0.29.1: on this kind of machine pip takes them from the local wheel cache).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev,slurm,loggers]'
	touch $@

run: venv
	$(BIN)/snakemake --cores $(CORES)

test: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check src tests workflow bench
	$(BIN)/ruff format --check src tests workflow bench
	$(BIN)/snakefmt --check Snakefile workflow/rules
	-$(BIN)/snakemake --lint  # one explained finding per rule: see README, tests/workflow/test_lint.py
	$(BIN)/mypy

clean:
	rm -rf results .snakemake
