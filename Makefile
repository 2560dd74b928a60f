# Two commands on a fresh machine: `make corpus` and `make test`.
# Everything runs from the project's own virtual environment, made here when it is missing.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

PIPELINE ?= pipelines/case_reporting.toml
INPUT    ?=
OUT      ?= build/snapshot

.PHONY: corpus test test-ray snapshot clean-build bench bench-quick chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## corpus: build the environment, run the default pipeline on samples/, verify it, and validate it as a BagIt bag
corpus: $(STAMP)
	$(VENV)/bin/corpus run $(PIPELINE) --output $(OUT)
	$(VENV)/bin/corpus verify $(OUT)
	$(PY) -m bagit --validate --quiet $(OUT)

## snapshot: run PIPELINE on INPUT (files or directories) into the snapshot directory OUT
snapshot: $(STAMP)
	$(VENV)/bin/corpus run $(PIPELINE) $(if $(INPUT),$(foreach i,$(INPUT),--input $(i))) --output $(OUT)
	$(VENV)/bin/corpus verify $(OUT)
	$(PY) -m bagit --validate --quiet $(OUT)

## test: build the environment (and Debian's chromium, for the report test) and run the test suite
test: $(STAMP) chromium
	$(PY) -m pytest -q

## test-ray: install the 'ray' extra into the environment and run the Ray engine's tests
test-ray: $(STAMP)
	$(PY) -m pip install --quiet -e '.[ray,dev]'
	$(PY) -m pytest -q tests/test_ray.py

## chromium: the headless browser the report test renders report.html in (apt-get, as root)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "chromium is missing and this is not root: the report test will be skipped" >&2; fi; }

clean-build:
	rm -rf build

-include bench/bench.mk
