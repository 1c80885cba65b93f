// RUN: pareprop-opt %s -split-input-file -pareprop-contractions-to-runtime=library=cublas | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -pareprop-contractions-to-runtime="library=cublas gemm-math=tf32" | FileCheck %s --check-prefix=TF32
// RUN: pareprop-opt %s -split-input-file -pareprop-contractions-to-runtime="library=cublas gemm-math=bf16" | FileCheck %s --check-prefix=BF16

// With library=cublas, a product in a function that a task calls becomes a
// call of the cuBLAS entry whose first operand is a stream placeholder (a
// gpu.wait async of its own, which convert-rev-to-gpu replaces by the
// task's stream). The zero fill before it goes: the call overwrites C
// (flag 4), here with B transposed (flag 2). gemm-math adds 8 (tf32) or 16
// (bf16) to the flags of f32 products. The same product in a function no
// task calls (host code) stays a loop nest.
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func private @kernel(%x: memref<4x6xf32>, %w: memref<5x6xf32>) -> memref<4x5xf32> {
  %out = memref.alloc() : memref<4x5xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<4x5xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x6xf32>, memref<5x6xf32>) outs(%out : memref<4x5xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<4x5xf32>
}
func.func @host(%x: memref<4x6xf32>, %w: memref<5x6xf32>, %out: memref<4x5xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x6xf32>, memref<5x6xf32>) outs(%out : memref<4x5xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @step(%x: memref<4x6xf32>, %w: memref<5x6xf32>) -> memref<4x5xf32> attributes {rev.training_step} {
  %t0, %y = rev.task stream 0 {
    %0 = func.call @kernel(%x, %w) : (memref<4x6xf32>, memref<5x6xf32>) -> memref<4x5xf32>
    rev.yield %0 : memref<4x5xf32>
  } -> memref<4x5xf32>
  rev.await %t0
  return %y : memref<4x5xf32>
}
// CHECK: func.func private @pareprop_cuda_contract_f32(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
// CHECK-LABEL: func.func private @kernel(
// CHECK-NOT: linalg.fill
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[CX:.*]] = memref.cast %{{.*}} : memref<4x6xf32> to memref<*xf32>
// CHECK: %[[CW:.*]] = memref.cast %{{.*}} : memref<5x6xf32> to memref<*xf32>
// CHECK: %[[CO:.*]] = memref.cast %{{.*}} : memref<4x5xf32> to memref<*xf32>
// CHECK: %[[F:.*]] = arith.constant 6 : i64
// CHECK: call @pareprop_cuda_contract_f32(%[[S]], %[[CX]], %[[CW]], %[[CO]], %[[F]])
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func.func @host(
// CHECK: linalg.generic
// CHECK-NOT: call @pareprop
// TF32-LABEL: func.func private @kernel(
// TF32: arith.constant 14 : i64
// BF16-LABEL: func.func private @kernel(
// BF16: arith.constant 22 : i64

// -----

// f64 products go to the f64 entry; gemm-math leaves them exact.
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func private @kernel64(%x: memref<2x3xf64>, %w: memref<3x4xf64>, %out: memref<2x4xf64>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<2x3xf64>, memref<3x4xf64>) outs(%out : memref<2x4xf64>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%p: f64, %q: f64, %r: f64):
    %m = arith.mulf %p, %q : f64
    %s = arith.addf %r, %m : f64
    linalg.yield %s : f64
  }
  return
}
func.func @step64(%x: memref<2x3xf64>, %w: memref<3x4xf64>, %out: memref<2x4xf64>) attributes {rev.training_step} {
  %t0 = rev.task stream 0 {
    func.call @kernel64(%x, %w, %out) : (memref<2x3xf64>, memref<3x4xf64>, memref<2x4xf64>) -> ()
    rev.yield
  }
  rev.await %t0
  return
}
// CHECK-LABEL: func.func private @kernel64(
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK: %[[F:.*]] = arith.constant 0 : i64
// CHECK: call @pareprop_cuda_contract_f64(%[[S]], %{{.*}}, %{{.*}}, %{{.*}}, %[[F]])
// TF32-LABEL: func.func private @kernel64(
// TF32: arith.constant 0 : i64
