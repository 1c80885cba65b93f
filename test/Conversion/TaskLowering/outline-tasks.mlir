// RUN: pareprop-opt %s -split-input-file -rev-outline-tasks | FileCheck %s

// Each task's body becomes a private kernel @<step>_task<i> taking what the
// body reads from above (read-only for bufferization; constants are cloned
// in, not passed), and the task is left holding one call. Functions that
// the bodies call are left as they are.
func.func private @coupling(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.tanh %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %two = arith.constant dense<2.0> : tensor<4xf32>
  %t0, %b = rev.task stream 0 kind "forward" {
    %0 = func.call @coupling(%a) : (tensor<4xf32>) -> tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %c = rev.task stream 1 kind "recompute" block 0 after(%t0) {
    %0 = arith.mulf %b, %two : tensor<4xf32>
    %1 = arith.addf %0, %a : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1
  return %c : tensor<4xf32>
}
// CHECK-LABEL: func.func private @coupling(
// CHECK: math.tanh
// CHECK-LABEL: func.func private @step_task0(
// CHECK-SAME: %[[A:.*]]: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32>
// CHECK-NEXT: %[[R:.*]] = call @coupling(%[[A]])
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func private @step_task1(
// CHECK-SAME: %[[B:.*]]: tensor<4xf32> {bufferization.writable = false}, %[[A1:.*]]: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32>
// CHECK-NEXT: %[[TWO:.*]] = arith.constant dense<2.000000e+00>
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[B]], %[[TWO]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[M]], %[[A1]]
// CHECK-NEXT: return %[[S]]
// CHECK-LABEL: func.func @step(
// CHECK: %[[T0:.*]], %[[RB:.*]] = rev.task stream 0 kind "forward" {
// CHECK-NEXT: %[[C0:.*]] = func.call @step_task0(%arg0)
// CHECK-NEXT: rev.yield %[[C0]]
// CHECK: rev.task stream 1 kind "recompute" block 0 after(%[[T0]]) {
// CHECK-NEXT: %[[C1:.*]] = func.call @step_task1(%[[RB]], %arg0)
// CHECK-NEXT: rev.yield %[[C1]]

// -----

// A task that yields one value twice gets one result for it (each task
// result will own one buffer); its users read that result.
func.func @twice(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %b, %c = rev.task stream 0 {
    %0 = math.exp %a : tensor<4xf32>
    rev.yield %0, %0 : tensor<4xf32>, tensor<4xf32>
  } -> tensor<4xf32>, tensor<4xf32>
  rev.await %t0
  return %b, %c : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func private @twice_task0(
// CHECK-SAME: -> tensor<4xf32>
// CHECK-LABEL: func.func @twice(
// CHECK: %{{.*}}, %[[R:.*]] = rev.task stream 0 {
// CHECK: } -> tensor<4xf32>
// CHECK: return %[[R]], %[[R]]

// -----

// Functions without tasks are not steps: nothing changes.
func.func @plain(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.exp %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @plain(
// CHECK-NEXT: math.exp
// CHECK-NOT: func.func
