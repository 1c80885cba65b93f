// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-outline-tasks -rev-bufferize-tasks -convert-rev-to-async | FileCheck %s
// With trace-tasks, each task's kernel call is bracketed by the runtime's
// trace calls, with the task's index in its step.
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-outline-tasks -rev-bufferize-tasks -convert-rev-to-async=trace-tasks=1 | FileCheck %s --check-prefix=TRACE
// Without it, no trace call is emitted.
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-outline-tasks -rev-bufferize-tasks -convert-rev-to-async | FileCheck %s --check-prefix=NOTRACE

// TRACE-DAG: func.func private @pareprop_trace_begin(i64)
// TRACE-DAG: func.func private @pareprop_trace_end(i64)
// TRACE-LABEL: func.func @step
// TRACE: async.execute
// TRACE-NEXT: %[[ID0:.*]] = arith.constant 0 : i64
// TRACE-NEXT: func.call @pareprop_trace_begin(%[[ID0]]) : (i64) -> ()
// TRACE-NEXT: func.call @step_task0
// TRACE-NEXT: func.call @pareprop_trace_end(%[[ID0]]) : (i64) -> ()
// TRACE: %[[ID1:.*]] = arith.constant 1 : i64
// TRACE-NEXT: func.call @pareprop_trace_begin(%[[ID1]])
// TRACE-NEXT: func.call @step_task1
// NOTRACE-NOT: pareprop_trace

// Two streams: %b is read by tasks on both streams and freed by the first
// task ordered after both readers; %c is freed by its only reader.
func.func @step(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %c = rev.task stream 1 after(%t0) {
    %1 = nn.relu %b : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  %t2, %d = rev.task stream 0 {
    %2 = nn.scale %b by 2.0 : tensor<4xf32>
    rev.yield %2 : tensor<4xf32>
  } -> tensor<4xf32>
  %t3, %e = rev.task stream 0 after(%t1) {
    %3 = nn.add %c, %d : tensor<4xf32>, tensor<4xf32>
    rev.yield %3 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t3, %t1
  return %d, %e : tensor<4xf32>, tensor<4xf32>
}


// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[A:.*]]: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>)
// CHECK-SAME: rev.training_step
// CHECK: %[[T0:.*]], %[[B:.*]] = async.execute -> !async.value<memref<4xf32>> {
// CHECK-NEXT: %[[R0:.*]] = func.call @step_task0(%[[A]])
// CHECK-NEXT: async.yield %[[R0]]
// Stream 1 waits for the token of task 0.
// CHECK: %[[T1:.*]], %[[C:.*]] = async.execute [%[[T0]]] (%[[B]] as %[[B1:.*]]: !async.value<memref<4xf32>>)
// CHECK-NEXT: call @step_task1(%[[B1]])
// CHECK-NOT: memref.dealloc
// CHECK: async.yield
// Task 2 follows task 0 on stream 0.
// CHECK: %[[T2:.*]], %[[D:.*]] = async.execute [%[[T0]]] (%[[B]] as %[[B2:.*]]: !async.value<memref<4xf32>>)
// CHECK-NEXT: call @step_task2(%[[B2]])
// CHECK-NOT: memref.dealloc
// CHECK: async.yield
// Task 3 runs after both readers of %b: it frees %b and %c.
// CHECK: %[[T3:.*]], %[[E:.*]] = async.execute [%[[T2]], %[[T1]]]
// CHECK-NEXT: %[[R:.*]] = func.call @step_task3
// CHECK-DAG: memref.dealloc
// CHECK-DAG: memref.dealloc
// CHECK:     async.yield %[[R]]
// CHECK: async.await %[[T3]]
// CHECK: async.await %[[T1]]
// CHECK: %[[DM:.*]] = async.await %[[D]]
// CHECK: %[[EM:.*]] = async.await %[[E]]
// CHECK: return %[[DM]], %[[EM]]

// Each task body becomes a private kernel on buffers that never writes its
// arguments.
// CHECK-LABEL: func.func private @step_task0(%{{.*}}: memref<4xf32>) -> memref<4xf32>
// CHECK: linalg.generic
// CHECK-NOT: memref.copy
// CHECK-LABEL: func.func private @step_task3(%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>) -> memref<4xf32>

// -----

// The caller owns, and frees, every buffer a kernel returns: a task that
// yields a tensor and a reshape of it (a view of the same buffer) gets the
// view as a copy, so nothing is freed twice.
func.func @step(%a: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<6xf32>) attributes {rev.training_step} {
  %t0, %b, %c = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<2x3xf32>
    %1 = nn.reshape %0 : tensor<2x3xf32> -> tensor<6xf32>
    rev.yield %0, %1 : tensor<2x3xf32>, tensor<6xf32>
  } -> tensor<2x3xf32>, tensor<6xf32>
  rev.await %t0
  return %b, %c : tensor<2x3xf32>, tensor<6xf32>
}
// CHECK-LABEL: func.func private @step_task0(%{{.*}}: memref<2x3xf32>) -> (memref<2x3xf32>, memref<6xf32>)
// CHECK: %[[T:.*]] = memref.alloc() {{.*}} : memref<2x3xf32>
// CHECK: %[[V:.*]] = memref.collapse_shape %[[T]]
// CHECK-NEXT: %[[COPY:.*]] = memref.alloc() {{.*}} : memref<6xf32>
// CHECK-NEXT: linalg.copy ins(%[[V]] : memref<6xf32>) outs(%[[COPY]] : memref<6xf32>)
// CHECK-NEXT: return %[[T]], %[[COPY]]

// -----

// A task yielding one value twice (as CSE leaves it when it merges two
// identical ops) is lowered with one result for it, read by both users.
func.func @step(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %b, %c = rev.task stream 0 kind "backprop" {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0, %0 : tensor<4xf32>, tensor<4xf32>
  } -> tensor<4xf32>, tensor<4xf32>
  %t1, %d = rev.task stream 0 {
    %1 = nn.add %b, %c : tensor<4xf32>, tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1
  return %d, %b : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @step(
// CHECK: %[[T0:.*]], %[[B:.*]] = async.execute -> !async.value<memref<4xf32>>
// CHECK: async.execute [%[[T0]]] (%[[B]] as %[[B1:.*]]: !async.value<memref<4xf32>>)
// CHECK-NEXT: call @step_task1(%[[B1]])
// CHECK: %[[D:.*]] = async.await
// CHECK: %[[BM:.*]] = async.await %[[B]]
// CHECK: return %[[D]], %[[BM]]
// CHECK-LABEL: func.func private @step_task0(%{{.*}}: memref<4xf32>) -> memref<4xf32>

// -----

// A function that returns a buffer it does not own (its argument) returns a
// copy; the clone the deallocation inserts for it is lowered here, not left
// for the LLVM conversion, which cannot translate it.
func.func private @pass_through(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = func.call @pass_through(%a) : (tensor<4xf32>) -> tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}
// CHECK-LABEL: func.func private @pass_through(
// CHECK-SAME: %[[X:.*]]: memref<4xf32>) -> memref<4xf32>
// CHECK-NOT: bufferization.clone
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %[[X]], %[[COPY]]
// CHECK: return %[[COPY]]

// -----

// A coupling function that returns one value twice (two saved internals that
// CSE merged) returns a copy the second time: its caller frees both.
func.func private @twice(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.tanh %a : tensor<4xf32>
  return %0, %0 : tensor<4xf32>, tensor<4xf32>
}
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0:2 = func.call @twice(%a) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    %1 = nn.add %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}
// CHECK-LABEL: func.func private @twice(
// CHECK: %[[T:.*]] = memref.alloc() {{.*}} : memref<4xf32>
// CHECK: %[[COPY:.*]] = memref.alloc() {{.*}} : memref<4xf32>
// CHECK-NEXT: linalg.copy ins(%[[T]] : memref<4xf32>) outs(%[[COPY]] : memref<4xf32>)
// CHECK-NEXT: return %[[T]], %[[COPY]]

// -----

// Small buffers a kernel allocates and frees itself live on its stack: the
// temporary tanh (16 bytes), and the index and flag arrays with which the
// ownership-based deallocation decides at run time whether to free the
// buffers a callee returned. The result buffer and the 8 KiB temporary
// stay on the heap.
// CHECK-LABEL: func.func private @scoped_task0(
// CHECK-NOT:     memref.alloc() {{.*}}: memref<4xf32>
// CHECK-DAG:     memref.alloca() {{.*}}: memref<4xf32>
// CHECK-DAG:     memref.alloc() {{.*}}: memref<2048xf32>
// CHECK-DAG:     memref.alloc() {{.*}}: memref<8xf32>
// CHECK:         memref.dealloc %{{.*}} : memref<2048xf32>
// CHECK-NOT:     memref.dealloc %{{.*}} : memref<4xf32>
// CHECK:         return
// CHECK-LABEL: func.func private @scoped_task1(
// CHECK-NOT:     memref.alloc() : memref<{{[0-9]+}}x{{(index|i1)}}>
// CHECK:         memref.alloca() : memref<{{[0-9]+}}xindex>
// CHECK:         call @dealloc_helper
// CHECK-NOT:     memref.dealloc %{{.*}} : memref<{{[0-9]+}}x{{(index|i1)}}>
// CHECK:         return
func.func private @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.tanh %x : tensor<4xf32>
  %1 = nn.relu %x : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}
func.func @scoped(%a: tensor<4xf32>, %big: tensor<2048xf32>) -> (tensor<8xf32>, tensor<2048xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %b, %s = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    %1 = nn.concat %0, %a dim 0 : tensor<4xf32>, tensor<4xf32>
    %2 = nn.tanh %big : tensor<2048xf32>
    %3 = nn.relu %2 : tensor<2048xf32>
    rev.yield %1, %3 : tensor<8xf32>, tensor<2048xf32>
  } -> tensor<8xf32>, tensor<2048xf32>
  %t1, %r = rev.task stream 0 {
    %4:2 = func.call @twice(%a) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
    %5 = nn.add %4#0, %4#1 : tensor<4xf32>, tensor<4xf32>
    rev.yield %4#0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0, %t1
  return %b, %s, %r : tensor<8xf32>, tensor<2048xf32>, tensor<4xf32>
}
