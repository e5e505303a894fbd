#!/bin/bash
# Builds the Debian package: build-pkg/gprobe_VERSION_ARCH.deb.
#   scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build-pkg}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DGPROBE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
ls "$BUILD_DIR"/gprobe_*.deb
