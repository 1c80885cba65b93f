#!/usr/bin/env bash
# Quick start, command 1 (the main job): set up and build, then export a
# small RevViT from PyTorch (torch.fx), compile its training step under each
# schedule (ordinary backprop, vanilla reversible, PaReprop, and auto: the
# cost model's pick), train it a few SGD steps on the CPU, and print per
# schedule the loss, the largest gradient difference from PyTorch autograd,
# the step time and the peak memory the step allocated (measured and
# predicted), then step-time ratios. Extra arguments go to
# `python3 -m pareprop train` (e.g. --steps 10, --set depth=8).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PAREPROP_BUILD_DIR:-$root/build}"
bash "$root/utils/setup.sh"
export PYTHONPATH="$root/python-frontend${PYTHONPATH:+:$PYTHONPATH}"
export PAREPROP_LIBRARY="$build/lib/libPaRepropCAPI.so"
# Debian's torch is built for /usr/bin/python3, which need not be the first
# python3 on PATH.
exec /usr/bin/python3 -m pareprop train revvit --steps 5 \
  --set batch=8 --set image_size=32 --set dim=64 --set depth=4 --set heads=4 "$@"
