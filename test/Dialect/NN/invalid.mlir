// RUN: pareprop-opt %s -split-input-file -verify-diagnostics

func.func @broadcast_mismatch(%a: tensor<4x8xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{operand shapes do not broadcast}}
  %0 = nn.add %a, %b : tensor<4x8xf32>, tensor<5xf32>
  return
}

// -----

func.func @element_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = nn.mul %a, %b : tensor<4xf32>, tensor<4xf64>
  return
}

// -----

func.func @contracting(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contracting dimensions differ: 3 vs 4}}
  %0 = nn.matmul %a, %b : tensor<4x3xf32>, tensor<4x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x4x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{expects operands of the same rank, at least 2}}
  %0 = nn.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x5xf32>
  return
}

// -----

func.func @dynamic(%a: tensor<?x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.add %a, %b : tensor<?x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @reduce_range(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{dimension 2 is out of range for rank 2}}
  %0 = nn.sum %a dims [2] : tensor<4x8xf32>
  return
}

// -----

func.func @reduce_order(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{dimensions must be sorted and unique}}
  %0 = nn.mean %a dims [1, 0] : tensor<4x8xf32>
  return
}

// -----

func.func @gelu_mode(%a: tensor<4xf32>) {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "fast"}}
  %0 = nn.gelu %a {approximate = "fast"} : tensor<4xf32>
  return
}

// -----

func.func @broadcast_dims(%a: tensor<4xf32>) {
  // expected-error @+1 {{result dimension 1 does not match the input dimension it keeps}}
  %0 = nn.broadcast %a dims [0] : tensor<4xf32> -> tensor<8x5xf32>
  return
}

// -----

func.func @broadcast_rank(%a: tensor<4xf32>) {
  // expected-error @+1 {{result rank must be the input rank plus the number of broadcast dimensions}}
  %0 = nn.broadcast %a dims [0, 1] : tensor<4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @reduce_to(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{result type 'tensor<2x8xf32>' does not broadcast to the input type 'tensor<4x8xf32>'}}
  %0 = nn.reduce_to %a : tensor<4x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @not_float(%a: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = nn.tanh %a : tensor<4xi32>
  return
}

// -----

// Attention scores whose head dimensions disagree.
func.func @attention_head_dim(%q: tensor<2x3x5x4xf32>, %k: tensor<2x3x5x6xf32>) {
  // expected-error @+1 {{contracting dimensions differ: 4 vs 6}}
  %0 = nn.matmul %q, %k {transpose_rhs} : tensor<2x3x5x4xf32>, tensor<2x3x5x6xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x3x5x4xf32>, %k: tensor<2x2x5x4xf32>) {
  // expected-error @+1 {{batch dimensions differ}}
  %0 = nn.matmul %q, %k {transpose_rhs} : tensor<2x3x5x4xf32>, tensor<2x2x5x4xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<2x5x12xf32>, %w: tensor<7x10xf32>) {
  // expected-error @+1 {{input features (12) do not match the weight's [out, in] = [7, 10]}}
  %0 = nn.linear %x, %w : tensor<2x5x12xf32>, tensor<7x10xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<5x12xf32>, %w: tensor<7x12xf32>, %b: tensor<12xf32>) {
  // expected-error @+1 {{bias must be 'tensor<7xf32>'}}
  %0 = nn.linear %x, %w, %b : tensor<5x12xf32>, tensor<7x12xf32>, tensor<12xf32>
  return
}

// -----

func.func @layer_norm_gamma(%x: tensor<5x12xf32>, %g: tensor<5xf32>) {
  // expected-error @+1 {{gamma and beta must be 'tensor<12xf32>'}}
  %0:3 = nn.layer_norm %x, %g, %g : tensor<5x12xf32>, tensor<5xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<5x12xf32>, %g: tensor<12xf32>) {
  // expected-error @+1 {{epsilon must be positive}}
  %0:3 = nn.layer_norm %x, %g, %g {epsilon = 0.0 : f64} : tensor<5x12xf32>, tensor<12xf32>
  return
}

// -----

// The gradient rule (and the lowering) normalize over the last dimension.
func.func @softmax_dim(%x: tensor<2x3x5x5xf32>) {
  // expected-error @+1 {{normalizes over the last dimension only (dim = 3 or -1 for this rank-4 operand), got dim = 2; transpose the operand so the softmax dimension is last}}
  %0 = nn.softmax %x dim 2 : tensor<2x3x5x5xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x5x12xf32>) {
  // expected-error @+1 {{cannot reshape 'tensor<2x5x12xf32>' (120 elements) to 'tensor<2x5x3x5xf32>' (150 elements)}}
  %0 = nn.reshape %x : tensor<2x5x12xf32> -> tensor<2x5x3x5xf32>
  return
}

// -----

func.func @transpose_not_permutation(%x: tensor<2x5x3x4xf32>) {
  // expected-error @+1 {{is not a permutation of 0..3}}
  %0 = nn.transpose %x perm [0, 2, 2, 3] : tensor<2x5x3x4xf32>
  return
}

// -----

func.func @transpose_rank(%x: tensor<2x5x3x4xf32>) {
  // expected-error @+1 {{permutation has 3 entries for a rank-4 input}}
  %0 = nn.transpose %x perm [0, 2, 1] : tensor<2x5x3x4xf32>
  return
}

// -----

func.func @dropout_rate(%x: tensor<5x12xf32>, %key: i64) {
  // expected-error @+1 {{rate must be in [0, 1), got 1}}
  %0 = nn.dropout %x, %key {rate = 1.0 : f64} : tensor<5x12xf32>
  return
}

// -----

func.func @fold_key_type(%seed: i32) {
  // expected-error @+1 {{operand #0 must be 64-bit signless integer}}
  %0 = "nn.fold_key"(%seed) {salt = 1 : i64} : (i32) -> i64
  return
}

// -----

func.func @max_abs_error_result(%a: tensor<5x7xf32>) {
  // expected-error @+1 {{result must be tensor<2xf64>}}
  %0 = nn.max_abs_error %a, %a : tensor<5x7xf32> -> tensor<3xf64>
  return
}
