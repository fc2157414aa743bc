# lockhunt: build, gate, tests, benchmarks. See README.md.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/lockhunt

.PHONY: all build check test difftest fuzz bench deps clean

all: build

build:
	$(SWIFT) build -c $(CONFIG)

# The main job: build, then the regression gate over every scenario x policy in Models/.
check: build
	$(BIN) gate Models

# Debian packages some tests use (spin, graphviz, librsvg2-bin, libxml2-utils), if missing.
deps:
	.ci/deps

# The test suite (parser diagnostics, primitive semantics, verdicts, golden outputs, round trips,
# differential testing against SPIN, fuzzing of the model and trace readers).
test: deps
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test -c $(CONFIG)

# Longer local runs of the differential (against SPIN) and fuzz suites than CI's, with a new
# seed each time; the seed is printed, and SEED=N repeats a run.
DIFF_MODELS ?= 2000
FUZZ_ITERATIONS ?= 100000
ifndef SEED
SEED := $(shell date +%s)
endif

difftest: deps
	@echo "differential run: $(DIFF_MODELS) models, LOCKHUNT_DIFF_SEED=$(SEED)"
	LOCKHUNT_DIFF_MODELS=$(DIFF_MODELS) LOCKHUNT_DIFF_SEED=$(SEED) $(SWIFT) test -c $(CONFIG) --filter DifferentialTests

fuzz:
	@echo "fuzz run: $(FUZZ_ITERATIONS) inputs, LOCKHUNT_FUZZ_SEED=$(SEED)"
	LOCKHUNT_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) LOCKHUNT_FUZZ_SEED=$(SEED) $(SWIFT) test -c $(CONFIG) --filter FuzzTests

# lockhunt beside SPIN on the families of Models/bench at growing N, reductions off, on with
# SPIN given lockhunt's folding, and on with each tool's own (60 s and 8 GiB per run; about
# 80 minutes on 2 cores), then the gate timed. The report
# is printed and kept in bench-results.txt; docs/BENCH-RUNS.md keeps runs, docs/PERFORMANCE.md reads them.
BENCH_ARGS ?=
bench: build deps
	$(BIN) bench Models/bench --output bench-results.txt $(BENCH_ARGS)

clean:
	rm -rf .build
