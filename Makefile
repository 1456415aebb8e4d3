# Lifecircle: two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
SIZE  ?= small
export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

.PHONY: setup demo test lint bench clean dags docs

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m lifecircle.cli demo

test: setup
	$(VENV)/bin/ruff check libs jobs tests airflow_dags benchmarks
	$(PY) -m pytest -q tests

lint: setup
	$(VENV)/bin/ruff check libs jobs tests airflow_dags benchmarks

bench: setup
	$(PY) benchmarks/run.py --size $(SIZE)

docs: setup
	$(PY) -m lifecircle.cli docs

clean:
	rm -rf data .pytest_cache .ruff_cache spark-warehouse metastore_db derby.log
