// A schedule the scheduler made verifies as it is.
// RUN: %python %utils/gen-rev-mlp.py --depth 3 | pareprop-opt -rev-build-training-step -rev-schedule-backward -rev-verify-schedule | FileCheck %s
// Hand-made schedules, parsed without verification so that the pass is what
// finds the errors.
// RUN: pareprop-opt %s -split-input-file -mlir-very-unsafe-disable-verifier-on-parsing -verify-each=0 -rev-verify-schedule -verify-diagnostics

// CHECK-LABEL: func.func @loss_step
// CHECK: rev.task stream 1 kind "recompute" block 2
// CHECK: rev.await

// -----

func.func @ok(%a: tensor<4xf32>) -> tensor<4xf32> {
  %t0, %r0 = rev.task stream 1 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %r1 = rev.task stream 0 after(%t0) {
    %1 = nn.relu %r0 : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1
  return %r1 : tensor<4xf32>
}

// -----

func.func @missing_edge(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{producer task}}
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  // expected-error @+1 {{on stream 1 uses a result of a task on stream 0 that is not ordered before it (add its token to 'after')}}
  %t1, %r1 = rev.task stream 1 {
    %1 = nn.relu %r0 : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0, %t1
  return %r1 : tensor<4xf32>
}

// -----

func.func @read_before_await(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{task}}
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  // expected-error @+1 {{uses the result of a rev.task that it does not await}}
  %1 = nn.relu %r0 : tensor<4xf32>
  rev.await %t0
  return %1 : tensor<4xf32>
}

// -----

func.func @never_awaited(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{is not awaited before the block ends}}
  %t0 = rev.task stream 1 {
    rev.yield
  }
  // expected-note @+1 {{block ends here}}
  return %a : tensor<4xf32>
}
