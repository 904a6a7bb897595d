# wharf: the human interface to the build. See README.md.
#
#   make          build everything into build/ (build/wharf-registry, …)
#   make run      install what is missing, build, start wharf-registry on
#                 127.0.0.1:5000 with its data under ./var/registry
#   make test     install, build and run every test; ends with 'N passed, M failed'
#   make bench    run the benchmarks against the peers (bench/)
#   make fuzz     run every fuzz target for longer (FUZZ_SECONDS, default 300)

BUILD      ?= build
LISTEN     ?= 127.0.0.1:5000
DATA       ?= ./var/registry
FUZZ_SECONDS ?= 300

.PHONY: all deps build run test test-unit test-integration bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@command -v meson >/dev/null 2>&1 || scripts/install-deps.sh
	meson setup $(BUILD) -Dwerror=true

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: deps build
	@echo "wharf-registry: http://$(LISTEN)/v2/  (data in $(DATA); Ctrl-C stops)"
	exec $(BUILD)/wharf-registry serve --listen $(LISTEN) --data $(DATA)

test: deps
	/usr/bin/python3 scripts/run-tests.py

# Quicker loops while developing: no sanitizer or fuzz build.
test-unit: deps
	/usr/bin/python3 scripts/run-tests.py --only build,unit

test-integration: deps
	/usr/bin/python3 scripts/run-tests.py --only build,integration

bench: deps build
	bash bench/run-all.sh

fuzz: deps
	/usr/bin/python3 scripts/run-tests.py --only fuzz --fuzz-seconds $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz
