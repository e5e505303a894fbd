#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and
# integration, the lab included) through ctest.
#   scripts/test.sh                 build in build/ and test
#   BUILD_DIR=x SANITIZE=ON BUILD_TYPE=RelWithDebInfo scripts/test.sh
#                                   the same under ASan + UBSan, optimized
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
SANITIZE=${SANITIZE:-OFF}
BUILD_TYPE=${BUILD_TYPE:-Debug}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DGPROBE_SANITIZE="$SANITIZE" -DGPROBE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
# CTEST_EXTRA: more ctest options (CI passes a retry for the sanitizer run).
# shellcheck disable=SC2086
ctest --output-on-failure -j"$(nproc)" --timeout 600 ${CTEST_EXTRA:-}
