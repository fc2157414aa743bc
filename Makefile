# lockhunt: build, gate, tests, benchmarks. See README.md.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/lockhunt

.PHONY: all build check test bench deps clean

all: build

build:
	$(SWIFT) build -c $(CONFIG)

# The main job: build, then the regression gate over every scenario x policy in Models/.
check: build
	$(BIN) gate Models

# Debian packages some tests use (spin, graphviz, librsvg2-bin, libxml2-utils), if missing.
deps:
	.ci/deps

# The test suite (parser diagnostics, primitive semantics, verdicts, golden outputs, round trips).
test: deps
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test -c $(CONFIG)

clean:
	rm -rf .build
