PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test check lint bench bench-extra bench-kernels samples fuzz golden clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The specialised gradient of samples/mlp.py first, explained, then training with it; the
# generic code (any shapes) on request: .venv/bin/s2s-ad samples/mlp.py:loss --mode grad --wrt W1 W2
demo: install
	@$(BIN)/python samples/mlp.py

# -n auto: one worker per core (pytest-xdist, in the test extra)
test: install
	$(BIN)/python -m pytest -n auto

lint: install
	$(BIN)/pip install -q ruff
	$(BIN)/ruff check s2s_ad tests samples benchmarks

samples: install
	@for f in samples/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

bench-extra: install
	$(BIN)/pip install -q -e '.[bench]' || echo "some peers could not be installed; they will show n/a"

bench: bench-extra
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.loop_kernels

# The kernels section of make bench alone (benchmarks/loop_kernels.py): the loop kernels of
# tests/kernels.py at two sizes each, gradient / primal, worst first (about a minute).
bench-kernels: bench-extra
	$(BIN)/python -m benchmarks.loop_kernels

# The fuzzer on 300 random programs (make test runs 40), each through every first- and
# second-order transform; the whole transform matrix is in make test. CI runs make test;
# make fuzz is the large campaign (tests/fuzz_findings.md says what it found).
check: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} $(BIN)/python -m pytest tests/test_fuzz.py

# A fuzzing campaign (tests/fuzz_campaign.py): FUZZ_PROGRAMS random programs drawn from FUZZ_SEED,
# checked over FUZZ_JOBS processes, each through every first- and second-order transform, each
# with a time limit. Prints how many were generated, passed, rejected (unfair sample) and failed,
# by failure signature; writes every failure (program, point, error) to fuzz-report.jsonl; fails
# if any program fails. 10,000 programs take about 25 minutes on 2 cores. `make test` runs the
# hypothesis test (tests/test_fuzz.py) on 40 programs; `make check` on 300.
FUZZ_PROGRAMS ?= 10000
FUZZ_SEED ?= 0
FUZZ_JOBS ?= 2
fuzz: install
	$(BIN)/python tests/fuzz_campaign.py -n $(FUZZ_PROGRAMS) --seed $(FUZZ_SEED) \
		-j $(FUZZ_JOBS) --report fuzz-report.jsonl

# Rewrite tests/golden/ (the generated source of every corpus program) after an intended
# change to generated code; tests/test_golden.py shows any difference.
golden: install
	$(BIN)/python tests/golden.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache fuzz-report.jsonl
