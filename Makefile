# Two commands on a fresh machine: `make corpus` and `make test`.
# Everything runs from the project's own virtual environment, made here when it is missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

PIPELINE ?= pipelines/case_reporting.toml
INPUT    ?=
OUT      ?= build/snapshot

.PHONY: corpus test snapshot clean-build bench bench-quick

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## corpus: build the environment and run the default pipeline on samples/
corpus: $(STAMP)
	$(VENV)/bin/corpus run $(PIPELINE) --output $(OUT)

## snapshot: run PIPELINE on INPUT (files or directories) into the snapshot directory OUT
snapshot: $(STAMP)
	$(VENV)/bin/corpus run $(PIPELINE) $(if $(INPUT),$(foreach i,$(INPUT),--input $(i))) --output $(OUT)

## test: build the environment and run the test suite
test: $(STAMP)
	$(PY) -m pytest -q

clean-build:
	rm -rf build

-include bench/bench.mk
