// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -convert-rev-to-gpu
// Options out of range are reported, not clamped.
// RUN: not pareprop-opt %s -split-input-file -convert-rev-to-gpu=threads-per-block=100 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: error: convert-rev-to-gpu: threads-per-block must be a multiple of 32 between 32 and 1024, not 100
// The reduction split is a shared stage now; its option is checked there.
// RUN: echo 'func.func @f() { return }' | not pareprop-opt -rev-tasks-to-buffers="target=gpu reduction-threads=-1" 2>&1 | FileCheck %s --check-prefix=REDUCTION
// REDUCTION: error: pareprop-split-linalg-reductions: target-threads and min-per-thread must be at least 1
// The pipeline rejects the options only the CPU backend uses.
// RUN: not pareprop-opt %s -rev-to-gpu=trace-tasks=1 2>&1 | FileCheck %s --check-prefix=TRACE
// RUN: not pareprop-opt %s -rev-to-gpu="split-kernels=0" 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: not pareprop-opt %s -rev-to-gpu="split-min-iterations=4096" 2>&1 | FileCheck %s --check-prefix=SPLIT
// TRACE: rev-to-gpu: trace-tasks is an option of the CPU backend (rev-to-llvm); GPU steps record no task trace
// SPLIT: rev-to-gpu: split-kernels and split-min-iterations are options of the CPU backend (rev-to-llvm: the helper thread); the GPU runs every loop kernel on its threads

// The GPU backend starts from steps on buffers; couplings and nn ops must
// be gone.
func.func @not_lowered(%a: memref<4xf32>) -> memref<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %m = bufferization.to_tensor %a : memref<4xf32> to tensor<4xf32>
    // expected-error@+1 {{'nn.tanh' op must be lowered before convert-rev-to-gpu (run rev-expand-couplings and convert-nn-to-linalg)}}
    %0 = nn.tanh %m : tensor<4xf32>
    %1 = bufferization.to_buffer %0 : tensor<4xf32> to memref<4xf32>
    rev.yield %1 : memref<4xf32>
  } -> memref<4xf32>
  rev.await %t0
  return %b : memref<4xf32>
}

// -----

// A step still on tensors has not been through the shared stages.
// expected-error@+1 {{'func.func' op is a scheduled step on tensors; convert-rev-to-gpu starts from steps on buffers (run rev-tasks-to-buffers first)}}
func.func @on_tensors(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = math.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}

// -----

// A call of an external function (which the kernel inlining could not
// resolve) has no GPU lowering.
func.func private @external(memref<4xf32>) -> memref<4xf32>
func.func private @kernel(%a: memref<4xf32>) -> memref<4xf32> {
  // expected-error@+1 {{'func.call' op cannot be lowered to the GPU by convert-rev-to-gpu}}
  %0 = func.call @external(%a) : (memref<4xf32>) -> memref<4xf32>
  return %0 : memref<4xf32>
}
func.func @external_call(%a: memref<4xf32>) -> memref<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = func.call @kernel(%a) : (memref<4xf32>) -> memref<4xf32>
    rev.yield %0 : memref<4xf32>
  } -> memref<4xf32>
  rev.await %t0
  return %b : memref<4xf32>
}
