// RUN: pareprop-opt %s -split-input-file -rev-outline-tasks -verify-diagnostics

// Couplings and nn ops are lowered before the shared stages.
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    // expected-error @+1 {{must be lowered before rev-outline-tasks (run rev-expand-couplings and convert-nn-to-linalg)}}
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}

// -----

// Tasks read tensors and scalars; a buffer from above has no owner the
// lowering could track.
func.func @step(%a: tensor<4xf32>, %m: memref<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{captures a value of type 'memref<4xf32>'; tasks may only read tensors and scalars}}
  %t0, %b = rev.task stream 0 {
    %1 = bufferization.to_tensor %m : memref<4xf32> to tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}
