# lockhunt: build, gate, tests, benchmarks. See README.md.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/lockhunt

.PHONY: all build check test bench clean

all: build

build:
	$(SWIFT) build -c $(CONFIG)

# The main job: build, then the regression gate over every scenario x policy in Models/.
check: build
	$(BIN) gate Models

# The test suite (parser diagnostics, primitive semantics, verdicts, golden outputs, round trips).
test:
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test -c $(CONFIG)

clean:
	rm -rf .build
