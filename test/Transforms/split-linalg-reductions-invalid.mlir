// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -pareprop-split-linalg-reductions=target-threads=0
// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -pareprop-split-linalg-reductions=min-per-thread=-3
// rev-to-llvm's reduction-threads is the pass's target-threads:
// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -rev-to-llvm="mode=none reduction-threads=-2"

// Options out of range are reported, not clamped.
// expected-error@+1 {{pareprop-split-linalg-reductions: target-threads and min-per-thread must be at least 1}}
func.func @bad_options(%in: memref<8x64xf32>, %out: memref<8xf32>) {
  return
}
