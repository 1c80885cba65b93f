// RUN: pareprop-opt %s -split-input-file -convert-elementwise-to-linalg -rev-outline-tasks -rev-bufferize-tasks -verify-diagnostics
// RUN: not pareprop-opt %s -split-input-file -rev-bufferize-tasks=max-stack-buffer-bytes=-1 2>&1 | FileCheck %s --check-prefix=STACK
// STACK: error: rev-bufferize-tasks: max-stack-buffer-bytes must be 0 (no stack buffers) or more, not -1

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

// Outside tasks a step only awaits and returns.
func.func @stray(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = math.exp %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  // expected-error@+1 {{'linalg.generic' op cannot be lowered outside a rev.task}}
  %c = math.exp %b : tensor<4xf32>
  return %c : tensor<4xf32>
}
