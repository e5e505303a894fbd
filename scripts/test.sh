#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and
# integration, the lab included) through ctest.
#   scripts/test.sh                 build in build/ and test
#   BUILD_DIR=x SANITIZE=ON scripts/test.sh   the same under ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
SANITIZE=${SANITIZE:-OFF}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DGPROBE_SANITIZE="$SANITIZE" -DGPROBE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" --timeout 600
