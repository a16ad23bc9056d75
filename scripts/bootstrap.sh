#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (root, or a user with sudo):
#   scripts/bootstrap.sh run    install dependencies, build, run the bundled scenario suite
#   scripts/bootstrap.sh test   install dependencies, build, run every test (ctest)
# Options via environment: BUILD_DIR (default build), JOBS (default: cores).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in run|test|deps|build) ;; *) echo "usage: $0 run|test|deps|build" >&2; exit 2 ;; esac

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# Debian 12 packages (CMakeLists.txt names the one to install when a find fails).
PACKAGES=(cmake ninja-build g++ pkg-config git ca-certificates
          libyaml-cpp-dev nlohmann-json3-dev libgit2-dev libboost-graph-dev libfmt-dev
          libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev)

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {
  echo "==> configuring and building in $BUILD_DIR"
  # Benchmarks are built on demand (REHEARSE_BENCH=ON), not for the suite or the tests.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREHEARSE_BENCH=${REHEARSE_BENCH:-OFF} \
        ${CMAKE_EXTRA_ARGS:-}
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

install_deps
[ "$mode" = deps ] && exit 0
build
case "$mode" in
  run)
    echo "==> rehearse run scenarios/"
    exec "$BUILD_DIR/cli/rehearse" run scenarios/ --junit "$BUILD_DIR/scenarios.junit.xml"
    ;;
  test)
    echo "==> ctest"
    cd "$BUILD_DIR"
    exec ctest --output-on-failure -j "$JOBS"
    ;;
esac
