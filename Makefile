# The two user-facing entry points. Both install missing Debian packages first (scripts/setup.sh).
#   make run    build, then generate text from $(MODEL) (default: ../shared/models/wp-25M-Q8_0.gguf;
#               without it, a tiny synthetic random-weight model)
#   make test   build, then run the whole CTest suite
.PHONY: run test build setup

JOBS ?= $(shell nproc)

setup:
	@scripts/setup.sh

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

run: build
	@scripts/run-main.sh

test: build
	@ctest --preset release -j $(JOBS)
