#!/usr/bin/env bash
# Installs the Debian packages ROCmForge builds and tests with.
# Idempotent: checks each package with dpkg and installs only what is missing; silent otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libpcre2-dev libssl-dev zlib1g-dev libbrotli-dev curl libgtest-dev libgmock-dev libbenchmark-dev libhwy-dev
  clang libclang-rt-14-dev python3 python3-jinja2
  chromium chromium-driver
)
# The chat page test drives headless Chromium (chromium-driver); the OpenAI client test runs the
# `openai` npm package under Node (a Node that is already there, e.g. Node 20, is kept).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# The HIP compile check of the GPU kernels (scripts/gpu-compile-check.sh, run by .ci/run) needs
# Debian's hipcc (ROCm 5.2); asked for with ROCMFORGE_SETUP_HIP=1 so `make` never pulls it in.
[ "${ROCMFORGE_SETUP_HIP:-0}" = 1 ] && packages+=(hipcc)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1 || ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing missing packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
