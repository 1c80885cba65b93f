#!/usr/bin/env bash
# Fuzzes the compiler with libFuzzer (build/bin/pareprop-opt-fuzzer, built
# when clang-22 and libclang-rt-22-dev are installed):
#
#   bash utils/fuzz.sh [SECONDS] [libFuzzer flags...]     (default 60 s)
#
# The corpus (build/fuzz/corpus, or $PAREPROP_FUZZ_CORPUS) is seeded with
# every .mlir file under test/, cut at its `// -----` markers; it keeps what
# the fuzzer adds, so later runs go on from there. Inputs that crash go to
# build/fuzz/crashes/; rerun one with `build/bin/pareprop-opt-fuzzer FILE`.
# Ends with libFuzzer's statistics (stat::number_of_executed_units).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PAREPROP_BUILD_DIR:-$root/build}"
fuzzer="$build/bin/pareprop-opt-fuzzer"
if [ ! -x "$fuzzer" ]; then
  echo "fuzz.sh: $fuzzer is missing (apt-get install libclang-rt-22-dev, then rebuild)" >&2
  exit 1
fi
seconds="${1:-60}"
shift || true
corpus="${PAREPROP_FUZZ_CORPUS:-$build/fuzz/corpus}"
crashes="$build/fuzz/crashes"
mkdir -p "$corpus" "$crashes"
# Seeds, named by content so that reseeding adds nothing twice.
find "$root/test" -name '*.mlir' -print0 | while IFS= read -r -d '' f; do
  awk -v dir="$corpus" -v base="$(basename "$f" .mlir)" '
    function flush() { if (n) { out = dir "/seed-" base "-" part; printf "%s", text > out; close(out) } }
    /^\/\/ -----/ { flush(); part++; text = ""; n = 0; next }
    { text = text $0 "\n"; n++ }
    END { flush() }' "$f"
done
exec "$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
  -max_len=32768 -print_final_stats=1 -artifact_prefix="$crashes/" "$@" "$corpus"
