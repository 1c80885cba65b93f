// RUN: pareprop-opt %s -split-input-file -pareprop-add-gpu-benchmark-entry=images=8 | FileCheck %s

// The entry fills each input with one kernel on one stream (floats, and
// integers below their rev.index_bound; the i64 seed is a constant), then
// warms up, times, and reports one more step's loss and gradient sums;
// every step's results are freed after it. Each input, and each result of
// the last step, goes to the runtime's dump (written only under --dump),
// after the gradients' arguments for its header.
// CHECK-LABEL: func.func @pareprop_benchmark
// CHECK-SAME: (%[[STEPS:.*]]: i64, %[[WARMUP:.*]]: i64) -> i32
// CHECK: %[[GRAD_ARG:.*]] = arith.constant 0 : i64
// CHECK: call @pareprop_cuda_dump_gradient_of(%[[GRAD_ARG]])
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[X:.*]], %[[TX:.*]] = gpu.alloc async [%[[S]]] () : memref<2x4xf32>
// CHECK: %[[FX:.*]] = gpu.launch async [%[[TX]]]
// CHECK: arith.uitofp
// CHECK: memref.store {{.*}}, %[[X]]
// CHECK: %[[L:.*]], %[[TL:.*]] = gpu.alloc async [%[[FX]]] () : memref<2xi64>
// CHECK: %[[FL:.*]] = gpu.launch async [%[[TL]]]
// CHECK: %[[BOUND:.*]] = arith.constant 5 : i64
// CHECK: arith.remui %{{.*}}, %[[BOUND]]
// CHECK: memref.store {{.*}}, %[[L]]
// CHECK: gpu.wait [%[[FL]]]
// CHECK: %[[XU:.*]] = memref.cast %[[X]] : memref<2x4xf32> to memref<*xf32>
// CHECK: call @pareprop_cuda_dump_f32(%{{.*}}, %{{.*}}, %[[XU]])
// CHECK: %[[LU:.*]] = memref.cast %[[L]] : memref<2xi64> to memref<*xi64>
// CHECK: call @pareprop_cuda_dump_i64(%{{.*}}, %{{.*}}, %[[LU]])
// CHECK: call @pareprop_cuda_dump_scalar
// CHECK: call @pareprop_cuda_reset_peak()
// CHECK: scf.for
// CHECK: call @step(%[[X]], %[[L]], %{{.*}})
// CHECK: gpu.dealloc async
// CHECK: call @pareprop_cuda_clock_seconds()
// CHECK: scf.for
// CHECK: call @step
// CHECK: call @pareprop_cuda_clock_seconds()
// CHECK: %[[R:.*]]:2 = call @step
// CHECK: %[[RU:.*]] = memref.cast %[[R]]#0
// CHECK: call @pareprop_cuda_dump_f32(%{{.*}}, %{{.*}}, %[[RU]])
// CHECK: call @pareprop_cuda_sum_f32
// CHECK: call @pareprop_cuda_dump_f32
// CHECK: call @pareprop_cuda_sum_f32
// CHECK: %[[IMAGES:.*]] = arith.constant 8 : i64
// CHECK: call @pareprop_cuda_report(%[[STEPS]], %{{.*}}, %[[IMAGES]], %{{.*}}, %{{.*}})
module attributes {gpu.container_module} {
  func.func @step(%x: memref<2x4xf32>, %labels: memref<2xi64> {rev.index_bound = 5 : i64}, %seed: i64) -> (memref<f32>, memref<2x4xf32>) attributes {rev.grad_args = array<i64: 0>, rev.training_step} {
    %m = memref.alloc() : memref<f32>
    %g = memref.alloc() : memref<2x4xf32>
    return %m, %g : memref<f32>, memref<2x4xf32>
  }
}

// -----

// A step with index checks (rev-add-index-checks) checks the index inputs
// it filled before any step: host copies of the index buffers, the check
// (a host function) on them, its six fields to the runtime, which stops the
// executable when an index is out of range.
// RUN: pareprop-opt %s -split-input-file -pareprop-add-gpu-benchmark-entry | FileCheck %s --check-prefix=INDEX
// INDEX-LABEL: func.func @pareprop_benchmark
// INDEX: %[[L:.*]], %{{.*}} = gpu.alloc async {{.*}} : memref<2xi64>
// INDEX: %[[HOST:.*]] = memref.alloc() : memref<2xi64>
// INDEX: %[[C:.*]] = gpu.memcpy async [%{{.*}}] %[[HOST]], %[[L]]
// INDEX: gpu.wait [%[[C]]]
// INDEX: %[[R:.*]] = call @step_check_indices(%{{.*}}, %[[HOST]], %{{.*}})
// INDEX-COUNT-6: memref.load %[[R]]
// INDEX: call @pareprop_cuda_index_check_result(
// INDEX: memref.dealloc %[[R]]
// INDEX: memref.dealloc %[[HOST]]
// INDEX: call @pareprop_cuda_reset_peak()
// INDEX: call @step(
module attributes {gpu.container_module} {
  func.func @step(%x: memref<2x4xf32>, %labels: memref<2xi64> {rev.index_bound = 5 : i64}, %seed: i64) -> (memref<f32>, memref<2x4xf32>) attributes {rev.grad_args = array<i64: 0>, rev.training_step, rev.index_checks = {func = @step_check_indices, checks = [{arg = 1 : i64, bound = 5 : i64, ignore_index = -100 : i64, what = "labels"}]}} {
    %m = memref.alloc() : memref<f32>
    %g = memref.alloc() : memref<2x4xf32>
    return %m, %g : memref<f32>, memref<2x4xf32>
  }
  func.func @step_check_indices(%x: memref<2x4xf32>, %labels: memref<2xi64>, %seed: i64) -> memref<6xi64> {
    %r = memref.alloc() : memref<6xi64>
    return %r : memref<6xi64>
  }
}
