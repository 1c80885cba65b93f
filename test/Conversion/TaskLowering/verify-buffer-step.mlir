// RUN: pareprop-opt %s -split-input-file -rev-verify-buffer-step -verify-diagnostics
// The shared stages' output satisfies the contract on its own:
// RUN: pareprop-opt %S/bufferize-tasks.mlir -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers -rev-verify-buffer-step -o /dev/null
// RUN: pareprop-opt %S/bufferize-tasks.mlir -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers=target=gpu -rev-verify-buffer-step -o /dev/null

// The form every backend starts from passes unchanged: kernel calls and
// frees in tasks, a returned constant's buffer and fill, a free after the
// final await, a stream-ordered call on its own placeholder.
func.func private @pareprop_cuda_contract_f32(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
func.func private @kernel(%a: memref<4xf32>) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  %s = gpu.wait async
  %c = memref.cast %a : memref<4xf32> to memref<*xf32>
  %f = arith.constant 0 : i64
  func.call @pareprop_cuda_contract_f32(%s, %c, %c, %c, %f) : (!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) -> ()
  return %r : memref<4xf32>
}
func.func @good(%a: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) attributes {rev.training_step} {
  %zero = memref.alloc() : memref<4xf32>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%zero : memref<4xf32>)
  %t0, %b = rev.task stream 0 {
    %0 = func.call @kernel(%a) : (memref<4xf32>) -> memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  %t1, %c = rev.task stream 1 after(%t0) {
    %0 = func.call @kernel(%b) : (memref<4xf32>) -> memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  %t2, %d = rev.task stream 0 {
    %0 = func.call @kernel(%b) : (memref<4xf32>) -> memref<4xf32>
    memref.dealloc %0 : memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  rev.await %t1, %t2
  memref.dealloc %b : memref<4xf32>
  return %c, %zero : memref<4xf32>, memref<4xf32>
}

// -----

// A task's body is one call of its kernel.
func.func @no_call(%a: memref<4xf32>) -> memref<4xf32> attributes {rev.training_step} {
  // expected-error@+1 {{'rev.task' op must hold a call of its kernel function before rev-verify-buffer-step (run rev-tasks-to-buffers first)}}
  %t0, %b = rev.task stream 0 {
    %0 = memref.alloc() : memref<4xf32>
    memref.copy %a, %0 : memref<4xf32> to memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  rev.await %t0
  return %b : memref<4xf32>
}

// -----

// Only frees may follow the call.
func.func private @kernel(%a: memref<4xf32>) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  return %r : memref<4xf32>
}
func.func @extra_op(%a: memref<4xf32>) -> memref<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = func.call @kernel(%a) : (memref<4xf32>) -> memref<4xf32>
    // expected-error@+1 {{'memref.copy' op cannot follow the kernel call in a task; only frees (memref.dealloc) may}}
    memref.copy %a, %0 : memref<4xf32> to memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  rev.await %t0
  return %b : memref<4xf32>
}

// -----

// Kernels are on buffers.
func.func private @kernel(%a: memref<4xf32>) -> tensor<4xf32> {
  %t = bufferization.to_tensor %a : memref<4xf32> to tensor<4xf32>
  return %t : tensor<4xf32>
}
func.func @tensor_kernel(%a: memref<4xf32>) attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    // expected-error@+1 {{'func.call' op calls @kernel, which is on tensors; rev-verify-buffer-step starts from kernels on buffers (run rev-tasks-to-buffers first)}}
    %0 = func.call @kernel(%a) : (memref<4xf32>) -> tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return
}

// -----

// Outside tasks: awaits, the buffers and fills of returned constants, frees
// and the return.
func.func private @kernel(%a: memref<4xf32>) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  return %r : memref<4xf32>
}
func.func @stray(%a: memref<4xf32>, %o: memref<4xf32>) -> memref<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = func.call @kernel(%a) : (memref<4xf32>) -> memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  rev.await %t0
  // expected-error@+1 {{'memref.copy' op cannot be lowered outside a rev.task}}
  memref.copy %b, %o : memref<4xf32> to memref<4xf32>
  return %b : memref<4xf32>
}

// -----

// A stream-ordered call takes its own placeholder token: one shared with
// another call, or one with dependencies, would tie streams together.
func.func private @pareprop_cuda_contract_f32(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
func.func private @kernel(%x: memref<*xf32>) {
  %s = gpu.wait async
  %f = arith.constant 0 : i64
  // expected-error@+1 {{'func.call' op takes a stream token that is not its own placeholder (a 'gpu.wait async' without dependencies in its block, used by this call alone)}}
  func.call @pareprop_cuda_contract_f32(%s, %x, %x, %x, %f) : (!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) -> ()
  func.call @pareprop_cuda_contract_f32(%s, %x, %x, %x, %f) : (!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) -> ()
  return
}
