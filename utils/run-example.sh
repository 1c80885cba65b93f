#!/usr/bin/env bash
# Quick start, command 1: set up, build, then compile the example model and
# run its training step on the CPU under each schedule (ordinary backprop,
# vanilla reversible, PaReprop), printing loss, gradient check, step time,
# peak memory and the vanilla/pareprop ratio. Extra arguments go to
# pareprop-run (e.g. --iters 20, --fd-check, --seed 1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/utils/setup.sh"
exec "${PAREPROP_BUILD_DIR:-$root/build}/bin/pareprop-run" "$root/examples/mlp_rev.mlir" --iters 10 "$@"
