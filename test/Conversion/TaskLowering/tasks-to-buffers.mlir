// RUN: pareprop-opt %s -convert-nn-to-linalg -rev-tasks-to-buffers | FileCheck %s --check-prefix=CPU
// RUN: pareprop-opt %s -convert-nn-to-linalg -rev-tasks-to-buffers="target=gpu reduction-threads=64" | FileCheck %s --check-prefix=GPU

// The shared stages as one pipeline. On the CPU the product is a CBLAS
// call that overwrites C (the zero fill dropped: flags 4) and the reduction
// stays a linalg.generic; on the GPU it is a cuBLAS call on a stream
// placeholder and the reduction is split into partial sums and a combine
// (two scf.parallel loops around a temporary). The forward function
// @model, which no task calls, is host code in a GPU build (its product
// stays a loop nest, no stream for cuBLAS, split like any reduction). Both
// results satisfy rev-verify-buffer-step (the pipeline's last stage).
func.func @model(%x: tensor<64x32xf32>, %w: tensor<32x16xf32>) -> tensor<64x16xf32> {
  %0 = nn.matmul %x, %w : tensor<64x32xf32>, tensor<32x16xf32>
  return %0 : tensor<64x16xf32>
}
func.func @step(%x: tensor<64x32xf32>, %w: tensor<32x16xf32>) -> tensor<1x16xf32> attributes {rev.training_step} {
  %t0, %y = rev.task stream 0 kind "forward" {
    %0 = nn.matmul %x, %w : tensor<64x32xf32>, tensor<32x16xf32>
    rev.yield %0 : tensor<64x16xf32>
  } -> tensor<64x16xf32>
  %t1, %s = rev.task stream 0 kind "param-grad" block 0 {
    %0 = nn.reduce_to %y : tensor<64x16xf32> -> tensor<1x16xf32>
    rev.yield %0 : tensor<1x16xf32>
  } -> tensor<1x16xf32>
  rev.await %t1
  return %s : tensor<1x16xf32>
}
// CPU-LABEL: func.func @step(
// CPU: rev.task stream 0 kind "forward"
// CPU: rev.task stream 0 kind "param-grad" block 0
// CPU-NEXT: func.call @step_task1
// CPU-NEXT: memref.dealloc
// CPU-LABEL: func.func @model(
// CPU: call @pareprop_contract_f32
// CPU-LABEL: func.func private @step_task0(
// CPU-NOT: linalg.fill
// CPU: %[[F:.*]] = arith.constant 4 : i64
// CPU: call @pareprop_contract_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[F]])
// CPU-LABEL: func.func private @step_task1(
// CPU: linalg.generic
// CPU-SAME: iterator_types = ["reduction", "parallel"]
// CPU-NOT: scf.parallel

// GPU-LABEL: func.func @model(
// GPU-NOT: call @pareprop
// GPU: scf.parallel
// GPU: memref.load %arg1
// GPU-LABEL: func.func private @step_task0(
// GPU: %[[S:.*]] = gpu.wait async
// GPU: %[[F:.*]] = arith.constant 4 : i64
// GPU: call @pareprop_cuda_contract_f32(%[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[F]])
// GPU-LABEL: func.func private @step_task1(
// GPU: %[[P:.*]] = memref.alloc() : memref<{{[0-9]+}}x16xf32>
// GPU: scf.parallel
// GPU: scf.parallel
// GPU: memref.dealloc %[[P]]
