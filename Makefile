# Quick start: `make demo` (set up, then run the main job on bundled inputs)
# and `make test` (the test suite). Both create .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test bench
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/shadowsim demo

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/kernel.py
	$(PY) benchmarks/dsl.py
	$(PY) benchmarks/asl.py
	$(PY) benchmarks/day.py
	$(PY) benchmarks/drills.py
	$(PY) benchmarks/sweep.py
