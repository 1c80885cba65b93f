// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -convert-rev-to-gpu
// Options out of range are reported, not clamped.
// RUN: not pareprop-opt %s -split-input-file -convert-nn-to-linalg -convert-rev-to-gpu=threads-per-block=100 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not pareprop-opt %s -split-input-file -convert-nn-to-linalg -convert-rev-to-gpu=gemm-math=fp8 2>&1 | FileCheck %s --check-prefix=MATH
// THREADS: error: convert-rev-to-gpu: threads-per-block must be a multiple of 32 between 32 and 1024, not 100
// MATH: error: convert-rev-to-gpu: gemm-math must be 'f32', 'tf32' or 'bf16', not 'fp8'
// RUN: not pareprop-opt %s -split-input-file -convert-nn-to-linalg -convert-rev-to-gpu=reduction-threads=-1 2>&1 | FileCheck %s --check-prefix=REDUCTION
// REDUCTION: error: convert-rev-to-gpu: reduction-threads must be 0 (no split) or more, not -1

// nn ops must be lowered to linalg first.
func.func @not_lowered(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    // expected-error@+1 {{'nn.tanh' op must be lowered before convert-rev-to-gpu (run rev-expand-couplings and convert-nn-to-linalg)}}
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}

// -----

// A tensor constant that is not a splat cannot be returned from a step.
func.func @returned_constant() -> tensor<2xf32> attributes {rev.training_step} {
  // expected-error@+1 {{'arith.constant' op only splat constants may be returned from a scheduled step}}
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %t0, %b = rev.task stream 0 {
    %0 = arith.addf %c, %c : tensor<2xf32>
    rev.yield %0 : tensor<2xf32>
  } -> tensor<2xf32>
  rev.await %t0
  return %c : tensor<2xf32>
}

// -----

// A declaration of a runtime entry point with another type is reported.
// expected-error@+1 {{matched function 'pareprop_cuda_contract_f32' but with different type: '(i32) -> ()' (expected '(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) -> ()')}}
func.func private @pareprop_cuda_contract_f32(i32)
func.func @conflict(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<2x4xf32> attributes {rev.training_step} {
  %t0, %y = rev.task stream 0 {
    %init = tensor.empty() : tensor<2x4xf32>
    %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%init : tensor<2x4xf32>) attrs = {pareprop.contraction = 0 : i64} {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %c, %p : f32
      linalg.yield %s : f32
    } -> tensor<2x4xf32>
    rev.yield %0 : tensor<2x4xf32>
  } -> tensor<2x4xf32>
  rev.await %t0
  return %y : tensor<2x4xf32>
}

// -----

// A call the kernel inlining cannot resolve (an external function) has no
// GPU lowering.
func.func private @external(tensor<4xf32>) -> tensor<4xf32>
func.func @external_call(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    // expected-error@+1 {{'func.call' op cannot be lowered to the GPU by convert-rev-to-gpu}}
    %0 = func.call @external(%a) : (tensor<4xf32>) -> tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}
