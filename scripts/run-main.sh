#!/usr/bin/env bash
# The main job of `make run`: inspect the default model.
# Model: $MODEL if set, else ../shared/models/wp-25M-Q8_0.gguf beside the repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/release/rocmforge"
model="${MODEL:-}"
if [ -z "$model" ]; then
  default="$root/../shared/models/wp-25M-Q8_0.gguf"
  if [ -f "$default" ]; then
    model="$default"
  else
    echo "No model given and the default $default is missing." >&2
    echo "Pass a GGUF file: MODEL=/path/to/model.gguf make run" >&2
    exit 1
  fi
fi
exec "$bin" inspect "$model"
