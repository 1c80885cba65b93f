// RUN: not pareprop-opt %s -rev-schedule-backward=policy=greedy 2>&1 | FileCheck %s --check-prefix=POLICY
// RUN: not pareprop-opt %s -rev-schedule-backward=max-live-blocks=1 2>&1 | FileCheck %s --check-prefix=LIVE
// RUN: pareprop-opt %s -rev-schedule-backward -verify-diagnostics -split-input-file

// POLICY: error: rev-schedule-backward: unknown policy 'greedy' (expected 'vanilla' or 'pareprop')
// LIVE: error: rev-schedule-backward: max-live-blocks must be at least 2, got 1

// expected-error @+1 {{training step is already scheduled}}
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t, %r = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t
  return %r : tensor<4xf32>
}

// -----

// expected-warning @below {{rev-schedule-backward: no function is marked rev.training_step; nothing was scheduled}}
module {
  func.func @plain(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}
