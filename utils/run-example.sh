#!/usr/bin/env bash
# Quick start, command 1: set up, build, then compile the example model and
# run its training step on the CPU under each schedule (ordinary backprop,
# vanilla reversible, PaReprop, and auto: the cost model's pick, at op
# granularity), printing loss, gradient check, step time, peak memory and
# the step-time ratios. Extra arguments go to pareprop-run (e.g. --iters 20,
# --fd-check, --seed 1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/utils/setup.sh"
exec "${PAREPROP_BUILD_DIR:-$root/build}/bin/pareprop-run" "$root/examples/mlp_rev.mlir" \
  --schedules stored,vanilla,pareprop,auto --iters 10 "$@"
