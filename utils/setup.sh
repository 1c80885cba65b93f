#!/usr/bin/env bash
# Installs what is missing on a Debian machine (as root, or through sudo) and
# builds PaReprop into build/ (or $PAREPROP_BUILD_DIR). Run by run-example.sh
# and, with --tests (which adds what only the test suite needs: pytest), by
# run-tests.sh. PyTorch (the Python frontend) and LibTorch (pareprop-import)
# are installed either way. Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PAREPROP_BUILD_DIR:-$root/build}"

packages=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 libclang-rt-22-dev
          cmake ninja-build libgtest-dev python3 python3-torch libtorch-dev
          libopenblas-dev)
if [ "${1:-}" = "--tests" ]; then
  packages+=(python3-pytest python3-venv python3-pip)
fi
# $PAREPROP_EXTRA_PACKAGES: more packages (utils/sanitize.sh's).
read -r -a extra_packages <<< "${PAREPROP_EXTRA_PACKAGES:-}"
packages+=("${extra_packages[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# $PAREPROP_CMAKE_ARGS: more cache settings (utils/sanitize.sh passes its
# sanitizers this way); given, they are applied to an existing build too.
read -r -a extra_args <<< "${PAREPROP_CMAKE_ARGS:-}"
if [ ! -f "$build/build.ninja" ] || ((${#extra_args[@]})); then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    "${extra_args[@]}" >/dev/null
fi
cmake --build "$build"
