#!/usr/bin/env bash
# Times scheduling (dependency graph, stream assignment, IR rewrite) and
# schedule verification of generated reversible models of 1k, 10k and 100k
# blocks, to show it grows linearly. Usage: bash utils/bench-scheduler.sh
# [policy] [sizes...]   (default: pareprop 1000 10000 100000)
# GRANULARITY=op splits each gradient first (rev-split-gradients, timed in
# its own column): about twice the nodes.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
opt="${PAREPROP_OPT:-$here/build/bin/pareprop-opt}"
policy="${1:-pareprop}"
shift || true
sizes=("${@:-1000 10000 100000}")
granularity="${GRANULARITY:-block}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf "%-8s %-10s %-6s %10s %12s %12s %14s\n" blocks policy gran split-s schedule-s verify-s us/block
for n in ${sizes[@]}; do
  python3 "$here/utils/gen-rev-mlp.py" --depth "$n" --batch 4 --dim 8 --hidden 8 \
    | "$opt" -rev-build-training-step -mlir-print-op-generic -o "$tmp/step.mlir"
  split=0
  if [ "$granularity" = op ]; then
    split=$("$opt" "$tmp/step.mlir" -rev-split-gradients -mlir-print-op-generic \
              -o "$tmp/split.mlir" -mlir-timing 2>&1 \
            | awk '/RevSplitGradients/ {print $1}')
    mv "$tmp/split.mlir" "$tmp/step.mlir"
  fi
  # Scheduling: the pass's own wall time.
  sched=$("$opt" "$tmp/step.mlir" -rev-schedule-backward="policy=$policy" \
            -mlir-print-op-generic -o "$tmp/scheduled.mlir" -mlir-timing 2>&1 \
          | awk '/RevScheduleBackward/ {print $1}')
  # Verification: the schedule verifier as a pass, timed apart from parsing.
  verify=$("$opt" "$tmp/scheduled.mlir" -rev-verify-schedule -mlir-timing \
             -o /dev/null 2>&1 | awk '/RevVerifySchedule/ {print $1}')
  per=$(python3 -c "print(f'{($split + $sched + $verify) / $n * 1e6:.1f}')")
  printf "%-8s %-10s %-6s %10s %12s %12s %14s\n" "$n" "$policy" "$granularity" "$split" "$sched" "$verify" "$per"
done
