// RUN: pareprop-opt %s -split-input-file -pareprop-plan-temporary-buffers="alignment=48" -verify-diagnostics
// RUN: not pareprop-opt %s -pareprop-plan-temporary-buffers="alignment=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: echo "" | not pareprop-opt -pareprop-plan-temporary-buffers="arenas=sometimes" 2>&1 | FileCheck %s --check-prefix=ARENAS
// RUN: echo "" | not pareprop-opt --rev-to-llvm="buffer-arenas=sometimes" 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not pareprop-run --plan-buffers=maybe %s 2>&1 | FileCheck %s --check-prefix=RUNFLAG

// Options that are not booleans are usage errors, in the pass, the pipeline
// and pareprop-run.
// ARENAS: for the --arenas option: 'sometimes' is invalid value for boolean argument
// PIPELINE: for the --buffer-arenas option: 'sometimes' is invalid value for boolean argument
// RUNFLAG: for the --plan-buffers option: 'maybe' is invalid value for boolean argument

// Offsets are rounded to the alignment with a mask: it must be a power of
// two, reported at the function.
// ZERO: error: pareprop-plan-temporary-buffers: alignment must be a power of two, got 0

// expected-error @+1 {{pareprop-plan-temporary-buffers: alignment must be a power of two, got 48}}
func.func @temporaries(%in: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %in, %a : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}
