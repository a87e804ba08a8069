#!/usr/bin/env bash
# Fuzzes the GGUF reader for SECONDS (default 60): scripts/fuzz.sh gguf_reader_fuzz SECONDS.
exec "$(dirname "$0")/fuzz.sh" gguf_reader_fuzz "${1:-60}"
