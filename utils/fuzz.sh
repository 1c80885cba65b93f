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
# Ends with libFuzzer's statistics (stat::number_of_executed_units), or
# with the report of what failed.
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
# The whole output goes to $PAREPROP_FUZZ_LOG (default build/fuzz/last.log)
# as well; on a failure the script repeats the report at the end, where a CI
# log's tail shows it.
log="${PAREPROP_FUZZ_LOG:-$build/fuzz/last.log}"
mkdir -p "$(dirname "$log")"
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
  -max_len=32768 -print_final_stats=1 -artifact_prefix="$crashes/" "$@" "$corpus" \
  2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  {
    echo "fuzz.sh: the fuzzer failed (exit $status); its report:"
    # From the first report line on, without libFuzzer's progress lines.
    sed -n '/ERROR\|ALARM\|out-of-memory\|deadly signal\|Test unit written/,$p' "$log" \
      | grep -v '^#[0-9]\|^Base64:' | head -n 80
    # libFuzzer prints a small input in base64: enough to rebuild it from
    # a log alone (base64 -d).
    grep -m1 '^Base64:' "$log" || true
    echo "fuzz.sh: rerun the input with: $fuzzer FILE (the file named above)"
  } >&2
fi
exit "$status"
