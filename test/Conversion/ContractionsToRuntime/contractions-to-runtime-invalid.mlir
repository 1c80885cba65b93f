// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -pareprop-contractions-to-runtime

// A function of the runtime entry point's name with another type.
// expected-error@+1 {{matched function 'pareprop_contract_f32' but with different type}}
func.func private @pareprop_contract_f32(i32)
func.func @product(%x: memref<2x3xf32>, %w: memref<3x4xf32>, %y: memref<2x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x3xf32>, memref<3x4xf32>) outs(%y : memref<2x4xf32>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Another kind of symbol with that name.
// expected-error@+1 {{'memref.global' op has the name of the runtime function @pareprop_contract_f32}}
memref.global "private" @pareprop_contract_f32 : memref<f32>
func.func @product(%x: memref<2x3xf32>, %w: memref<3x4xf32>, %y: memref<2x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x3xf32>, memref<3x4xf32>) outs(%y : memref<2x4xf32>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}
