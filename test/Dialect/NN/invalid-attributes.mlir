// RUN: pareprop-opt %s -split-input-file -verify-diagnostics
// RUN: pareprop-opt %s -split-input-file -verify-diagnostics 2>&1 | FileCheck %s --check-prefix=VALID

// The nn dialect's discardable attribute: the nn.contraction tag of a
// lowered matrix product.

// A well-formed product tag survives the round trip.
func.func @product(%x: tensor<2x3xf32>, %w: tensor<4x3xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x3xf32>, tensor<4x3xf32>) outs(%y : tensor<2x4xf32>) attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
// VALID-LABEL: func.func @product(
// VALID: nn.contraction = #nn.contraction<transpose_rhs = true>

// -----

func.func @flags_not_a_tag(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{nn.contraction must be a #nn.contraction<...>, got 2 : i64}}
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x3xf32>, tensor<3x4xf32>) outs(%y : tensor<2x4xf32>) attrs = {nn.contraction = 2 : i64} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// expected-error @+1 {{nn.contraction belongs on a linalg.generic, not on func.func}}
func.func @on_a_function() attributes {nn.contraction = #nn.contraction<>} {
  return
}

// -----

func.func @one_input(%t: tensor<2x2xf32>, %u: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{nn.contraction needs a product of two inputs into one output, got 1 inputs and 1 outputs}}
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<2x2xf32>) outs(%u : tensor<2x2xf32>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// An elementwise product has no k loop.
func.func @no_reduction(%t: tensor<2x2xf32>, %v: tensor<2x2xf32>, %u: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{nn.contraction needs a reduction loop (the product's k)}}
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%t, %v : tensor<2x2xf32>, tensor<2x2xf32>) outs(%u : tensor<2x2xf32>) attrs = {nn.contraction = #nn.contraction<>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// expected-error @+1 {{unknown nn dialect attribute "nn.contracton"}}
func.func @misspelled() attributes {nn.contracton = #nn.contraction<>} {
  return
}

// -----

// expected-error @+1 {{duplicate or unknown struct parameter name: transpose_out}}
func.func @unknown_parameter() attributes {nn.contraction = #nn.contraction<transpose_out = true>} {
  return
}
