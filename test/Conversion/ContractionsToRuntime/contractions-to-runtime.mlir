// RUN: pareprop-opt %s -split-input-file -pareprop-contractions-to-runtime | FileCheck %s

// A tagged product on buffers becomes one runtime call on unranked memrefs;
// the flags (here: right operand transposed, as nn.linear's weight) travel
// as an i64. C keeps its contents: the call accumulates.
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @linear(%x: memref<4x6xf32>, %w: memref<5x6xf32>, %out: memref<4x5xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x6xf32>, memref<5x6xf32>) outs(%out : memref<4x5xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK: func.func private @pareprop_contract_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[X:.*]]: memref<4x6xf32>, %[[W:.*]]: memref<5x6xf32>, %[[O:.*]]: memref<4x5xf32>)
// CHECK: %[[CX:.*]] = memref.cast %[[X]] : memref<4x6xf32> to memref<*xf32>
// CHECK: %[[CW:.*]] = memref.cast %[[W]] : memref<5x6xf32> to memref<*xf32>
// CHECK: %[[CO:.*]] = memref.cast %[[O]] : memref<4x5xf32> to memref<*xf32>
// CHECK: %[[F:.*]] = arith.constant 2 : i64
// CHECK: call @pareprop_contract_f32(%[[CX]], %[[CW]], %[[CO]], %[[F]])
// CHECK-NOT: linalg.generic

// -----

// f64 and strided views (a batched product of transposed operands) go to
// the f64 entry point; the runtime reads the strides.
#a = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>
#b = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
func.func @batched(%a: memref<2x3x4xf64, strided<[12, 4, 1], offset: ?>>, %b: memref<2x5x3xf64>, %c: memref<2x4x5xf64>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<2x3x4xf64, strided<[12, 4, 1], offset: ?>>, memref<2x5x3xf64>) outs(%c : memref<2x4x5xf64>) attrs = {nn.contraction = #nn.contraction<transpose_lhs = true, transpose_rhs = true>} {
  ^bb0(%x: f64, %y: f64, %z: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %z, %p : f64
    linalg.yield %s : f64
  }
  return
}
// CHECK-LABEL: func.func @batched(
// CHECK: memref.cast %{{.*}} : memref<2x3x4xf64, strided<[12, 4, 1], offset: ?>> to memref<*xf64>
// CHECK: %[[F:.*]] = arith.constant 3 : i64
// CHECK: call @pareprop_contract_f64(%{{.*}}, %{{.*}}, %{{.*}}, %[[F]])

// -----

// Untagged generics, and tagged ones still on tensors, are left alone.
func.func @untouched(%x: memref<4xf32>, %y: memref<4xf32>, %t: tensor<2x3xf32>, %w: tensor<3x2xf32>, %u: tensor<2x2xf32>) -> tensor<2x2xf32> {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%t, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%u : tensor<2x2xf32>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}
// CHECK-LABEL: func.func @untouched(
// CHECK-NOT: call @pareprop_contract
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: call @pareprop_contract

// -----

// A product that starts from zeros filled right before it overwrites C
// (flag bit 2) and the fill goes; a fill of another value, or zeros that
// something reads in between, stay and the call accumulates.
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @zero_filled(
// CHECK-NOT:     linalg.fill
// CHECK:         %[[F:.*]] = arith.constant 6 : i64
// CHECK:         call @pareprop_contract_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[F]])
func.func @zero_filled(%x: memref<4x6xf32>, %w: memref<5x6xf32>, %out: memref<4x5xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<4x5xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x6xf32>, memref<5x6xf32>) outs(%out : memref<4x5xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @one_filled(
// CHECK:         linalg.fill
// CHECK:         %[[F:.*]] = arith.constant 2 : i64
// CHECK:         call @pareprop_contract_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[F]])
func.func @one_filled(%x: memref<4x6xf32>, %w: memref<5x6xf32>, %out: memref<4x5xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%out : memref<4x5xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x6xf32>, memref<5x6xf32>) outs(%out : memref<4x5xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
// CHECK-LABEL: func.func @zeros_read_in_between(
// CHECK:         linalg.fill
// CHECK:         memref.copy
// CHECK:         %[[F:.*]] = arith.constant 2 : i64
// CHECK:         call @pareprop_contract_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[F]])
func.func @zeros_read_in_between(%x: memref<4x6xf32>, %w: memref<5x6xf32>, %out: memref<4x5xf32>, %snap: memref<4x5xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<4x5xf32>)
  memref.copy %out, %snap : memref<4x5xf32> to memref<4x5xf32>
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x6xf32>, memref<5x6xf32>) outs(%out : memref<4x5xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
