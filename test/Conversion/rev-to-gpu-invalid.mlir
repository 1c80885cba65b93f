// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -convert-rev-to-gpu
// Options out of range are reported, not clamped.
// RUN: not pareprop-opt %s -split-input-file -convert-nn-to-linalg -convert-rev-to-gpu=threads-per-block=100 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not pareprop-opt %s -split-input-file -convert-nn-to-linalg -convert-rev-to-gpu=gemm-math=bf16 2>&1 | FileCheck %s --check-prefix=MATH
// THREADS: error: convert-rev-to-gpu: threads-per-block must be a multiple of 32 between 32 and 1024, not 100
// MATH: error: convert-rev-to-gpu: gemm-math must be 'f32' or 'tf32', not 'bf16'

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
