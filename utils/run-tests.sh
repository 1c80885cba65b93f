#!/usr/bin/env bash
# Quick start, command 2: set up, build, then run the whole test suite (lit
# tests: dialects, passes, conversions, end-to-end integration, GoogleTest
# unit tests, the out-of-tree consumer). Ends with "N passed, M failed" (and
# how many need what this machine lacks, such as a GPU).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PAREPROP_BUILD_DIR:-$root/build}"
bash "$root/utils/setup.sh" --tests || exit 1
log="$(mktemp)"
/usr/lib/llvm-22/bin/lit -sv "$build/test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# lit pads the labels of its summary ("Passed     : 59") when another line
# is longer ("Unsupported: 1").
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
passed=$(count Passed); failed=$(count Failed)
unresolved=$(count Unresolved); timed_out=$(count "Timed Out")
unsupported=$(count Unsupported)
failed=$(( ${failed:-0} + ${unresolved:-0} + ${timed_out:-0} ))
rm -f "$log"
echo "lit: ${passed:-0} passed, ${failed} failed${unsupported:+, $unsupported unsupported here}"
exit "$status"
