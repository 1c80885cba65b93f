// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-outline-tasks -rev-bufferize-tasks -convert-rev-to-async="kernel-threads=1" | FileCheck %s

// With kernel-threads, each task starts by telling the runtime whether it
// may overlap another stream's task: forward tasks (and tasks without a
// kind) run alone (1), the two-stream backward's tasks do not (0).
func.func @step(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %x = rev.task stream 0 kind "forward" {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %y = rev.task stream 1 kind "recompute" after(%t0) {
    %1 = nn.relu %x : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  %t2, %z = rev.task stream 0 kind "grad" after(%t0) {
    %2 = nn.tanh %x : tensor<4xf32>
    rev.yield %2 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1, %t2
  return %y, %z : tensor<4xf32>, tensor<4xf32>
}
// CHECK: func.func private @pareprop_kernel_threads(i64)
// CHECK-LABEL: func.func @step(
// CHECK: async.execute
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: func.call @pareprop_kernel_threads(%[[ONE]])
// CHECK-NEXT: func.call @step_task0(
// CHECK: async.execute
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-NEXT: func.call @pareprop_kernel_threads(%[[ZERO]])
// CHECK-NEXT: func.call @step_task1(
// CHECK: async.execute
// CHECK-NEXT: %[[ZERO2:.*]] = arith.constant 0 : i64
// CHECK-NEXT: func.call @pareprop_kernel_threads(%[[ZERO2]])
// CHECK-NEXT: func.call @step_task2(

// -----

// In a one-stream schedule every task runs alone.
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %x = rev.task stream 0 kind "forward" {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %y = rev.task stream 0 kind "grad" {
    %1 = nn.relu %x : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1
  return %y : tensor<4xf32>
}
// CHECK-LABEL: func.func @step(
// CHECK: async.execute
// CHECK-NEXT: arith.constant 1 : i64
// CHECK: async.execute
// CHECK-NEXT: arith.constant 1 : i64
// CHECK-NOT: arith.constant 0 : i64
