// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -pareprop-contractions-to-runtime=library=cublas
// Option values: an unknown library or arithmetic is a parse error naming
// the option; gemm-math with CBLAS (exact f32 only) is reported.
// RUN: not pareprop-opt %s -pareprop-contractions-to-runtime=library=mkl 2>&1 | FileCheck %s --check-prefix=LIBRARY
// RUN: not pareprop-opt %s -pareprop-contractions-to-runtime="library=cublas gemm-math=fp8" 2>&1 | FileCheck %s --check-prefix=MATH
// RUN: not pareprop-opt %s -pareprop-contractions-to-runtime=gemm-math=tf32 2>&1 | FileCheck %s --check-prefix=CBLAS
// RUN: not pareprop-opt %s -rev-to-gpu=gemm-math=fp8 2>&1 | FileCheck %s --check-prefix=MATH
// LIBRARY: for the --library option: Cannot find option named 'mkl'!
// MATH: for the --gemm-math option: Cannot find option named 'fp8'!
// CBLAS: error: pareprop-contractions-to-runtime: gemm-math applies to library=cublas only (CBLAS products are exact f32)

// A declaration of the cuBLAS entry point with another type is reported.
// expected-error@+1 {{matched function 'pareprop_cuda_contract_f32' but with different type: '(i32) -> ()' (expected '(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) -> ()')}}
func.func private @pareprop_cuda_contract_f32(i32)
func.func private @kernel(%x: memref<2x3xf32>, %w: memref<3x4xf32>, %y: memref<2x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x3xf32>, memref<3x4xf32>) outs(%y : memref<2x4xf32>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @conflict(%x: memref<2x3xf32>, %w: memref<3x4xf32>, %y: memref<2x4xf32>) attributes {rev.training_step} {
  %t0 = rev.task stream 0 {
    func.call @kernel(%x, %w, %y) : (memref<2x3xf32>, memref<3x4xf32>, memref<2x4xf32>) -> ()
    rev.yield
  }
  rev.await %t0
  return
}
