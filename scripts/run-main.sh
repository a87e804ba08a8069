#!/usr/bin/env bash
# The main job of `make run`: generate text from the default model with a default prompt.
# Model: $MODEL if set, else ../shared/models/wp-25M-Q8_0.gguf beside the repository; when neither
# exists, a tiny synthetic random-weight model is made (its output is gibberish by design).
# Prompt: $PROMPT if set; tokens: $N (default 128). Extra flags for `generate`: $ARGS (e.g. ARGS="--temp 0").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/release/rocmforge"
model="${MODEL:-}"
prompt="${PROMPT:-Prince Andrew looked at}"
if [ -z "$model" ]; then
  default="$root/../shared/models/wp-25M-Q8_0.gguf"
  if [ -f "$default" ]; then
    model="$default"
  else
    model="$root/build/synthetic-tiny-q8_0.gguf"
    echo "No model given and the default $default is missing." >&2
    echo "Making a tiny synthetic model with RANDOM weights: the text below is gibberish by design." >&2
    echo "To use a real model: MODEL=/path/to/model.gguf make run" >&2
    "$bin" make-model --shape tiny --type q8_0 -o "$model"
  fi
elif [ ! -f "$model" ]; then
  echo "MODEL=$model does not exist. Pass a GGUF file: MODEL=/path/to/model.gguf make run" >&2
  exit 1
fi
echo "model: $model" >&2
echo "prompt: $prompt" >&2
# shellcheck disable=SC2086
exec "$bin" generate -m "$model" -p "$prompt" -n "${N:-128}" ${ARGS:-}
