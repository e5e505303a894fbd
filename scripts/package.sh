#!/bin/bash
# Builds the Debian package: build-pkg/gprobe_VERSION_ARCH.deb.
#   scripts/package.sh
# Compiled with Debian's hardening flags (dpkg-buildflags with
# DEB_BUILD_MAINT_OPTIONS=hardening=+all: _FORTIFY_SOURCE=2,
# -fstack-protector-strong, -Werror=format-security, PIE, -z relro -z now),
# and stripped (CPACK_STRIP_FILES in packaging/CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build-pkg}
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
flag() { dpkg-buildflags --get "$1"; }
# CMake has no CPPFLAGS: they go with the CFLAGS. Given on the command line
# (not through the environment) so a configured build dir takes them too.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DGPROBE_WERROR=ON \
  -DCMAKE_C_FLAGS="$(flag CPPFLAGS) $(flag CFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(flag LDFLAGS)" \
  -DCMAKE_SHARED_LINKER_FLAGS="$(flag LDFLAGS)" \
  -DCMAKE_MODULE_LINKER_FLAGS="$(flag LDFLAGS)" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
ls "$BUILD_DIR"/gprobe_*.deb
