# Lifecircle: two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
SIZE  ?= small
export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

.PHONY: setup demo test test-all lint bench clean dags docs

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m lifecircle.cli demo

# The CI suite: unit, contract, real-data and component tests (Delta, MLflow, Airflow DagBag and a DAG run,
# the standalone cluster), and the whole pipeline on a generated province with the notebooks run on it.
# `make test-all` adds the tests marked `slow` (the ingestion oracle, the privacy audit of every table, the
# per-job end-to-end paths).
test: setup
	$(VENV)/bin/ruff check libs jobs tests airflow_dags benchmarks
	$(PY) -m pytest -q -m "not slow" --durations=25 tests

test-all: setup
	$(VENV)/bin/ruff check libs jobs tests airflow_dags benchmarks
	$(PY) -m pytest -q --durations=25 tests

lint: setup
	$(VENV)/bin/ruff check libs jobs tests airflow_dags benchmarks

bench: setup
	$(PY) benchmarks/run.py --size $(SIZE)

docs: setup
	$(PY) -m lifecircle.cli docs

clean:
	rm -rf data .pytest_cache .ruff_cache spark-warehouse metastore_db derby.log
