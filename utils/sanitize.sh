#!/usr/bin/env bash
# Builds PaReprop with AddressSanitizer and UndefinedBehaviorSanitizer
# (clang-22) into build-sanitize/ (or $PAREPROP_SANITIZE_BUILD_DIR) and runs
# the whole test suite against that build: lit tests, the GoogleTest unit
# tests and the Python frontend's tests, with leak checking on.
#
#   bash utils/sanitize.sh            (set-up as run-tests.sh, then the suite)
#
# Any ASan or UBSan report fails its test (UBSan halts on the first one).
# LeakSanitizer's suppressions, each explained, are in
# utils/sanitizers/lsan.supp. LLVM/MLIR are the distribution's uninstrumented
# libraries: ASan checks PaReprop's own accesses. Ends with run-tests.sh's
# "lit: N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PAREPROP_BUILD_DIR="${PAREPROP_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
export PAREPROP_CMAKE_ARGS="-DPAREPROP_SANITIZERS=address;undefined"
# Symbols for Debian's stripped Python interpreter, so that LeakSanitizer's
# suppressions can name CPython's object allocator (lsan.supp).
export PAREPROP_EXTRA_PACKAGES="python3-dbg"
exec bash "$root/utils/run-tests.sh"
