# Thin wrapper around CMake. `make run` builds and opens the shell on
# ./strata-data; `make test` builds and runs the whole suite: the normal
# build (gcc, warnings are errors), a -O3 build, then ASan+UBSan over the unit, API,
# fault, model, tool and fuzz tests, then TSan over the concurrency tests.

SHELL := /bin/bash

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
PREFIX ?= /usr/local
CTEST = ctest --output-on-failure -j $(JOBS)
SAN_CC ?= clang-14

.PHONY: all deps build run test test-normal test-release test-asan test-tsan install clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@$(BUILD)/strata ./strata-data

test: test-normal test-release test-asan test-tsan
	@cat $(BUILD)/ctest.log build-asan/ctest.log build-tsan/ctest.log | \
		awk '/tests passed, [0-9]+ tests failed out of/ { t += $$NF; f += $$4 } \
		END { printf "test: %d passed, %d failed\n", t - f, f; exit f != 0 }' 

test-normal: build
	cd $(BUILD) && $(CTEST) | tee ctest.log; exit $${PIPESTATUS[0]}

# An optimized build (-O3) sees warnings the -O2 build does not: it must
# compile cleanly too.
test-release: deps
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSTRATA_TESTS=OFF >/dev/null
	@cmake --build build-release -j $(JOBS)

test-asan: deps
	@CC=$(SAN_CC) cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=address -DSTRATA_FUZZ=ON -DSTRATA_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		STRATA_TEST_KEYS=200000 STRATA_MODEL_OPS=30000 $(CTEST) -L 'unit|api|fault|tools|fuzz|model' | tee ctest.log; exit $${PIPESTATUS[0]}

test-tsan: deps
	@CC=$(SAN_CC) cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=thread -DSTRATA_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(CTEST) -L concurrency | tee ctest.log; \
		exit $${PIPESTATUS[0]}

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-release build-asan build-tsan
