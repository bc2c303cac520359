# The two Quick start commands (README) and a few helpers. Every target installs the
# Debian packages it needs first (scripts/install-deps.sh is quiet when nothing is missing).
#   make run    build the `parley` binary alone (no tests, no benchmarks; only the build and
#               runtime packages) and run `parley serve` (SQLite, the flows in flows/, dry-run
#               channel; an empty database is migrated at start)
#   make test   install the test packages too, build and run every test: unit, store
#               conformance and end-to-end on SQLite and a private PostgreSQL cluster,
#               transcripts (ctest), again under ASan/UBSan, then the flow-loader fuzzer for
#               60 seconds and the Lua sandbox and webhook fuzzers for 30 each, the HTTP
#               request fuzzer for 20, the LIMA unpickler's for 20 (about 13 minutes on 2 cores with a warm ccache)
#   make screenshots  regenerate the admin's screenshots in docs/images/ (docs/admin.md) from
#               the browser test, compressed (scripts/screenshots.sh)
#   make bench  build in Release and run the benchmarks and the webhook load harness (SQLite
#               with and without fsync per commit, PostgreSQL with and without fsync), the
#               timer benchmark on each (a million pending timers; a few minutes) and the
#               delivery benchmark (the sender's throughput, the rate limiter's accuracy)

JOBS ?= $(shell nproc)
# ccache (CMakeLists.txt uses it when installed) hits across checkouts of the tree: paths are
# hashed relative to here, and the working directory is left out.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
GEN := -G Ninja
FUZZ_SECONDS ?= 60
LUA_FUZZ_SECONDS ?= 30
WEBHOOK_FUZZ_SECONDS ?= 30
HTTP_FUZZ_SECONDS ?= 20
PICKLE_FUZZ_SECONDS ?= 20

.PHONY: run test deps deps-test build build-parley test-unit test-asan fuzz bench screenshots clean

deps:
	@./scripts/install-deps.sh

deps-test:
	@./scripts/install-deps.sh --test

# The options are given every time: `make run` and `make build` share the build folder, and
# CMake would otherwise keep whichever was configured last.
build-parley: deps
	@cmake -S . -B build $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_TESTS=OFF \
	  -DPARLEY_BENCH=OFF >/dev/null
	@cmake --build build -j $(JOBS) --target parley

build: deps-test
	@cmake -S . -B build $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_TESTS=ON \
	  -DPARLEY_BENCH=ON >/dev/null
	@cmake --build build -j $(JOBS)

run: build-parley
	./build/parley serve

test: test-unit test-asan fuzz
	@echo "make test: all passed"

test-unit: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: deps-test
	@cmake -S . -B build-asan $(GEN) -DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=ON \
	  -DPARLEY_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

fuzz: deps-test
	@cmake -S . -B build-fuzz $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DPARLEY_FUZZ=ON -DPARLEY_TESTS=OFF -DPARLEY_BENCH=OFF \
	  -DPARLEY_WERROR=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target flow_loader_fuzz lua_script_fuzz webhook_fuzz \
	  http_request_fuzz pickle_fuzz
	@mkdir -p build-fuzz/corpus build-fuzz/corpus-lua build-fuzz/corpus-webhook \
	  build-fuzz/corpus-http build-fuzz/corpus-pickle
	./build-fuzz/fuzz/flow_loader_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  build-fuzz/corpus fuzz/corpus/flow_loader examples/checkin examples/lima-sample
	./build-fuzz/fuzz/lua_script_fuzz -max_total_time=$(LUA_FUZZ_SECONDS) -max_len=4096 \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  build-fuzz/corpus-lua fuzz/corpus/lua_script examples/lima-sample
	./build-fuzz/fuzz/webhook_fuzz -max_total_time=$(WEBHOOK_FUZZ_SECONDS) -max_len=8192 \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  build-fuzz/corpus-webhook fuzz/corpus/webhook
	./build-fuzz/fuzz/http_request_fuzz -max_total_time=$(HTTP_FUZZ_SECONDS) -max_len=4096 \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  build-fuzz/corpus-http fuzz/corpus/http_request
	./build-fuzz/fuzz/pickle_fuzz -max_total_time=$(PICKLE_FUZZ_SECONDS) -max_len=4096 \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  build-fuzz/corpus-pickle test/fixtures/lima

bench: deps-test
	@cmake -S . -B build-release $(GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-release -j $(JOBS)
	./build-release/bench/flow_bench --benchmark_repetitions=5 \
	  --benchmark_report_aggregates_only=true
	./build-release/bench/parley_load --db sqlite --seconds 10
	./build-release/bench/parley_load --db sqlite --seconds 10 --sqlite-sync normal
	./build-release/bench/parley_load --db postgres --seconds 10
	./build-release/bench/parley_load --db postgres --seconds 10 --pg-durable false
	./build-release/bench/parley_timer_bench --db sqlite
	./build-release/bench/parley_timer_bench --db postgres
	./build-release/bench/send_bench

screenshots: deps-test build-parley
	./scripts/screenshots.sh build/parley

clean:
	rm -rf build build-asan build-fuzz build-release
