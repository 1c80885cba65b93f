// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-outline-tasks -rev-bufferize-tasks | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-outline-tasks -rev-bufferize-tasks="inline-calls max-stack-buffer-bytes=0" | FileCheck %s --check-prefix=GPU

// The step on buffers: tasks keep stream, kind, block and `after`, and call
// their bufferized kernels. %unused (no reader) is freed by the task that
// makes it; %b and %c, read by the last task, are freed there after its
// call; the returned zero constant gets a buffer and a fill.
func.func @step(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %t0, %b = rev.task stream 0 kind "forward" {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %c, %unused = rev.task stream 1 kind "recompute" block 0 after(%t0) {
    %0 = nn.add %b, %b : tensor<4xf32>, tensor<4xf32>
    %1 = nn.mul %a, %a : tensor<4xf32>, tensor<4xf32>
    rev.yield %0, %1 : tensor<4xf32>, tensor<4xf32>
  } -> tensor<4xf32>, tensor<4xf32>
  %t2, %d = rev.task stream 0 kind "grad" block 0 after(%t1) {
    %0 = nn.sub %b, %c : tensor<4xf32>, tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t2
  return %d, %zero : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[A:.*]]: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) attributes {rev.training_step}
// CHECK: %[[ZERO:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[Z]] : f32) outs(%[[ZERO]] : memref<4xf32>)
// CHECK: %[[T0:.*]], %[[B:.*]] = rev.task stream 0 kind "forward" {
// CHECK-NEXT: %[[K0:.*]] = func.call @step_task0(%[[A]]) : (memref<4xf32>) -> memref<4xf32>
// CHECK-NEXT: rev.yield %[[K0]] : memref<4xf32>
// CHECK-NEXT: } -> memref<4xf32>
// CHECK: %[[T1:.*]], %[[C:.*]]:2 = rev.task stream 1 kind "recompute" block 0 after(%[[T0]]) {
// CHECK-NEXT: %[[K1:.*]]:2 = func.call @step_task1(%[[B]], %[[A]])
// CHECK-NEXT: memref.dealloc %[[K1]]#1 : memref<4xf32>
// CHECK-NEXT: rev.yield %[[K1]]#0, %[[K1]]#1
// CHECK: %[[T2:.*]], %[[D:.*]] = rev.task stream 0 kind "grad" block 0 after(%[[T1]]) {
// CHECK-NEXT: %[[K2:.*]] = func.call @step_task2(%[[B]], %[[C]]#0)
// CHECK-NEXT: memref.dealloc %[[B]] : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[C]]#0 : memref<4xf32>
// CHECK-NEXT: rev.yield %[[K2]]
// CHECK: rev.await %[[T2]]
// CHECK-NEXT: return %[[D]], %[[ZERO]] : memref<4xf32>, memref<4xf32>
// CHECK-LABEL: func.func private @step_task0(%{{.*}}: memref<4xf32>) -> memref<4xf32>

// -----

// A result read on two streams with no task ordered after both readers is
// freed after the final awaits.
func.func @late(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %c = rev.task stream 1 after(%t0) {
    %0 = nn.relu %b : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t2, %d = rev.task stream 0 {
    %0 = nn.add %b, %b : tensor<4xf32>, tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1, %t2
  return %c, %d : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @late(
// CHECK: %{{.*}}, %[[B:.*]] = rev.task stream 0 {
// CHECK-NOT: memref.dealloc
// CHECK: rev.await
// CHECK-NEXT: memref.dealloc %[[B]] : memref<4xf32>
// CHECK-NEXT: return

// -----

// Kernels on the CPU call the coupling functions; small buffers a function
// allocates and frees itself (the tanh temporary, the deallocation's
// ownership arrays) are on its stack. With inline-calls and no stack
// buffers (the GPU's choice) the coupling function is inlined into the
// kernel and gone, and every buffer is on the heap.
func.func private @coupling(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.tanh %x : tensor<4xf32>
  %1 = nn.relu %x : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}
func.func @scoped(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %r = rev.task stream 0 {
    %0:2 = func.call @coupling(%a) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    %1 = nn.add %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
    rev.yield %0#0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %r : tensor<4xf32>
}
// CHECK-LABEL: func.func private @coupling(
// CHECK-LABEL: func.func private @scoped_task0(
// CHECK: call @coupling
// CHECK: memref.alloca() : memref<{{[0-9]+}}xindex>
// GPU-LABEL: func.func @scoped(
// GPU-NOT: func.func private @coupling
// GPU-LABEL: func.func private @scoped_task0(
// GPU-NOT: call @coupling
// GPU-NOT: memref.alloca
// GPU: return
