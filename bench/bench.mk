# The benchmark (bench/): included by the top-level Makefile.
#   make bench-quick   1k and 10k documents, every tool, signatures, AEB (a first look, < 3 min
#                      once the peers' venv exists)
#   make bench         1k, 10k and 100k documents, each also end to end on the Ray engine where the
#                      'ray' extra is installed (make test-ray installs it); results in
#                      bench/results/bench.json and RESULTS.md (about 40 minutes on 2 cores), then the
#                      real benchmark
#   make bench-real    the benchmark built from real pages and coverage (bench/real.py; reads
#                      ../shared in place, skips with a message without it): kinds a-d, ~6 minutes;
#                      results in bench/results/bench-real.json and RESULTS-real.md
# The peers (datatrove, text-dedup) live in their own venv, bench/.peers, never in the project's.
# If they cannot be installed, the benchmark still runs and reports why they were skipped.

PEERS       := bench/.peers
PEERS_STAMP := $(PEERS)/.installed
BENCH_OUT   := bench/results

$(PEERS_STAMP): bench/peers-requirements.txt
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet -r bench/peers-requirements.txt \
		&& touch $@ \
		|| echo "bench: could not install the peers; they will be reported as skipped" >&2

## bench-quick: 1k and 10k documents, every tool, signature speed and AEB
bench-quick: $(STAMP) $(PEERS_STAMP)
	$(PY) -m bench.run --sizes 1000 10000 --e2e-max 1000 --out $(BENCH_OUT)/bench-quick.json
	$(PY) -m bench.report $(BENCH_OUT)/bench-quick.json --out $(BENCH_OUT)/RESULTS-quick.md

## bench: 1k, 10k and 100k documents, then the real benchmark; the results the README quotes
bench: $(STAMP) $(PEERS_STAMP)
	$(PY) -m bench.run --sizes 1000 10000 100000 --ray-max 100000 --out $(BENCH_OUT)/bench.json
	$(PY) -m bench.report $(BENCH_OUT)/bench.json --out $(BENCH_OUT)/RESULTS.md
	$(MAKE) bench-real

## bench-real: the benchmark built from real material, every kind (REAL_KINDS="a b" for some)
REAL_KINDS ?= a b c d
bench-real: $(STAMP)
	$(PY) -m bench.run --real --real-kinds $(REAL_KINDS) --out $(BENCH_OUT)/bench-real.json
	$(PY) -m bench.report $(BENCH_OUT)/bench-real.json --out $(BENCH_OUT)/RESULTS-real.md

.PHONY: bench bench-quick bench-real
