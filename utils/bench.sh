#!/usr/bin/env bash
# Step time and peak memory of ordinary backprop, vanilla reversible,
# PaReprop and auto (the cost model's pick, at op granularity) on generated
# MLP-coupled stacks, all schedules of a configuration measured in the same
# process, one after the other. Ratios, not absolute
# times, are the figures to compare across machines.
#   bash utils/bench.sh [iters]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PAREPROP_BUILD_DIR:-$root/build}"
iters="${1:-10}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf "%-28s %9s %9s %9s %9s %7s %7s %7s %10s %10s %10s %10s %9s\n" config stored-ms vanilla-ms \
  pareprop-ms auto-ms van/par van/auto sto/auto stored-KiB vanilla-KiB pareprop-KiB auto-KiB grad-err
while read -r name opts; do
  [ -z "$name" ] && continue
  python3 "$root/utils/gen-rev-mlp.py" $opts > "$tmp/m.mlir"
  # Deep f32 stacks drift by more than the test suite's 1e-5 (reconstruction
  # error); the largest difference is reported in the last column instead.
  "$build/bin/pareprop-run" "$tmp/m.mlir" --schedules stored,vanilla,pareprop,auto \
    --iters "$iters" --rtol 1e-2 > "$tmp/out" </dev/null
  awk -v name="$name" '
    $1=="stored"||$1=="vanilla"||$1=="pareprop"||$1=="auto" { ms[$1]=$5; kib[$1]=$7; if ($3>err) err=$3 }
    END { printf "%-28s %9.1f %9.1f %9.1f %9.1f %7.3f %7.3f %7.3f %10.0f %10.0f %10.0f %10.0f %9.1e\n", name,
          ms["stored"], ms["vanilla"], ms["pareprop"], ms["auto"], ms["vanilla"]/ms["pareprop"],
          ms["vanilla"]/ms["auto"], ms["stored"]/ms["auto"], kib["stored"], kib["vanilla"],
          kib["pareprop"], kib["auto"], err }' "$tmp/out"
done <<'CONFIGS'
example(d8,b256,w64,h128) --depth 8 --batch 256 --dim 64 --hidden 128 --act-f gelu --act-g gelu
d4,b256,w64,h128              --depth 4 --batch 256 --dim 64 --hidden 128 --act-f gelu --act-g gelu
d16,b256,w64,h128             --depth 16 --batch 256 --dim 64 --hidden 128 --act-f gelu --act-g gelu
d8,b64,w64,h128               --depth 8 --batch 64 --dim 64 --hidden 128 --act-f gelu --act-g gelu
d8,b1024,w64,h128             --depth 8 --batch 1024 --dim 64 --hidden 128 --act-f gelu --act-g gelu
d8,b256,w128,h256             --depth 8 --batch 256 --dim 128 --hidden 256 --act-f gelu --act-g gelu
d3x3stages,b256,w64,h128      --depth 3 --stages 3 --batch 256 --dim 64 --hidden 128 --act-f gelu --act-g gelu
d8,b16,w16,h32(tiny)          --depth 8 --batch 16 --dim 16 --hidden 32
CONFIGS
