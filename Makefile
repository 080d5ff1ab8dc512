# Thin wrapper over Meson. `make test` and `make run` do their own setup
# (Debian packages via scripts/install-deps, then meson setup) from a clean checkout.

BUILD      ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-release
# build/ compiles without optimisation (tests and `make run` do not need it and
# it builds twice as fast); benchmarks use their own release build.
BUILD_TYPE ?= debug
MESON_OPTS ?=
TEST_OPTS  ?=

.PHONY: all deps configure build test run asan-test bench fuzz clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dbuildtype=$(BUILD_TYPE) $(MESON_OPTS)

configure: deps $(BUILD)/build.ninja

build: configure
	meson compile -C $(BUILD)

test: build
	meson test -C $(BUILD) --print-errorlogs $(TEST_OPTS)

# The mock provider serving a virtual node: against $$KUBECONFIG when set,
# otherwise against an embedded FakeApiServer.
run: build
	scripts/run-mock $(BUILD) $(ARGS)

# AddressSanitizer + UndefinedBehaviorSanitizer build of the same tests (line
# tables only: reports keep file:line, the build is faster).
asan-test: deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug -Dcpp_args=-g1 -Dbenchmarks=disabled $(MESON_OPTS)
	meson compile -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  meson test -C $(ASAN_BUILD) --print-errorlogs --timeout-multiplier 3 $(TEST_OPTS)

bench: deps
	@[ -f $(BENCH_BUILD)/build.ninja ] || meson setup $(BENCH_BUILD) -Dbuildtype=release $(MESON_OPTS)
	meson compile -C $(BENCH_BUILD)
	bench/run $(BENCH_BUILD)

fuzz:
	scripts/install-deps --fuzz
	@[ -f build-fuzz/build.ninja ] || CXX=clang++ meson setup build-fuzz -Dfuzzers=true -Dtests=false -Dbenchmarks=disabled -Db_lundef=false
	meson compile -C build-fuzz

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD) build-fuzz
