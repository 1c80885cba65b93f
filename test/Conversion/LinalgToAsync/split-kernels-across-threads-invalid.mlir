// RUN: pareprop-opt %s -split-input-file -pareprop-split-kernels-across-threads="min-iterations=16" -verify-diagnostics
// RUN: not pareprop-opt %s -split-input-file -pareprop-split-kernels-across-threads="min-iterations=0" 2>&1 | FileCheck %s --check-prefix=OPTION

// OPTION: error: pareprop-split-kernels-across-threads: min-iterations must be at least 1, got 0

// The runtime's entry point, defined with another type: an error, not a
// call that would read a garbage flag.
// expected-error @+1 {{'pareprop_split_kernel_begin' is the runtime's split check; expected an external function of type '() -> i1'}}
func.func private @pareprop_split_kernel_begin() -> i32

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @kernel(%a: memref<16x16xf32>, %b: memref<16x16xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x16xf32>) outs(%b : memref<16x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}
