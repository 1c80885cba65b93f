// RUN: pareprop-opt %s -split-input-file -rev-split-gradients -verify-diagnostics

// Splitting is for unscheduled steps: the tasks already fix the granularity.
// expected-error @+1 {{rev-split-gradients: @step is already scheduled; split gradients before rev-schedule-backward}}
func.func @step(%x: tensor<2x3xf32>) -> tensor<2x3xf32> attributes {rev.training_step} {
  %t, %r = rev.task stream 0 kind "forward" {
    %y = nn.tanh %x : tensor<2x3xf32>
    rev.yield %y : tensor<2x3xf32>
  } -> tensor<2x3xf32>
  rev.await %t
  return %r : tensor<2x3xf32>
}

// -----

// A gradient function without a body cannot be cut.
// expected-error @+1 {{cannot split the gradient function @ext__vjp: it must have a body of one block}}
func.func private @ext__vjp(tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @step(%dy1: tensor<2x3xf32>, %dy2: tensor<2x3xf32>, %x2: tensor<2x3xf32>, %y1: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) attributes {rev.training_step} {
  %dx1, %dx2 = rev.grad(%dy1, %dy2) at(%x2, %y1) f @ext__vjp() saved() g @ext__vjp() saved() : tensor<2x3xf32>, tensor<2x3xf32> -> () ()
  return %dx1, %dx2 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// The names of the parts are taken by a function that is not one.
func.func @lin__vjp_dx() {
  return
}
// expected-error @+1 {{cannot split the gradient function @lin__vjp: the symbol @lin__vjp_dx or @lin__vjp_dw is already taken}}
func.func private @lin__vjp(%x: tensor<2x3xf32>, %w: tensor<3x3xf32>, %dy: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x3xf32>) {
  %dx = nn.matmul %dy, %w {transpose_rhs} : tensor<2x3xf32>, tensor<3x3xf32>
  %dw = nn.matmul %x, %dy {transpose_lhs} : tensor<2x3xf32>, tensor<2x3xf32>
  return %dx, %dw : tensor<2x3xf32>, tensor<3x3xf32>
}
func.func @step(%dy1: tensor<2x3xf32>, %dy2: tensor<2x3xf32>, %x2: tensor<2x3xf32>, %y1: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>) attributes {rev.training_step} {
  %dx1, %dx2, %dwf, %dwg = rev.grad(%dy1, %dy2) at(%x2, %y1) f @lin__vjp(%w : tensor<3x3xf32>) saved() g @lin__vjp(%w : tensor<3x3xf32>) saved() : tensor<2x3xf32>, tensor<2x3xf32> -> (tensor<3x3xf32>) (tensor<3x3xf32>)
  return %dx1, %dx2, %dwf, %dwg : tensor<2x3xf32>, tensor<2x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>
}

// -----

// Nothing to split before rev-build-training-step: a warning, not silence.
// expected-warning @+1 {{rev-split-gradients: no function is marked rev.training_step (run rev-build-training-step first); nothing was split}}
module {
  func.func @loss(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
    return %x : tensor<2x3xf32>
  }
}
