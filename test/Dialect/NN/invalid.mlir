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

// -----

func.func @slice_entries(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{expects one offset and one size per dimension of the rank-2 input, got 1 offsets and 2 sizes}}
  %0 = nn.slice %x offsets [0] sizes [2, 2] : tensor<4x5xf32>
  return
}

// -----

func.func @slice_empty(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{size 0 of dimension 1 must be at least 1}}
  %0 = nn.slice %x offsets [0, 2] sizes [4, 0] : tensor<4x5xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{slice [3, 6) of dimension 1 is out of bounds for its size 5}}
  %0 = nn.slice %x offsets [0, 3] sizes [4, 3] : tensor<4x5xf32>
  return
}

// -----

func.func @slice_negative(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{slice [-1, 1) of dimension 0 is out of bounds for its size 4}}
  %0 = nn.slice %x offsets [-1, 0] sizes [2, 5] : tensor<4x5xf32>
  return
}

// -----

func.func @slice_dynamic(%x: tensor<?x5xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.slice %x offsets [0, 0] sizes [1, 5] : tensor<?x5xf32>
  return
}

// -----

func.func @slice_result(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x5xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "nn.slice"(%x) {offsets = array<i64: 0, 0>, sizes = array<i64: 2, 5>} : (tensor<4x5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @concat_dim(%a: tensor<4x3xf32>) {
  // expected-error @+1 {{dim 2 is out of range for rank-2 operands (expected 0 <= dim < 2)}}
  %0 = nn.concat %a, %a dim 2 : tensor<4x3xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @concat_negative_dim(%a: tensor<4x3xf32>) {
  // expected-error @+1 {{dim -1 is out of range for rank-2 operands (expected 0 <= dim < 2)}}
  %0 = nn.concat %a, %a dim -1 : tensor<4x3xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand 1 'tensor<4xf32>' must have the rank and element type of operand 0, 'tensor<4x3xf32>'}}
  %0 = nn.concat %a, %b dim 0 : tensor<4x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @concat_element_type(%a: tensor<4x3xf32>, %b: tensor<4x3xi64>) {
  // expected-error @+1 {{operand 1 'tensor<4x3xi64>' must have the rank and element type of operand 0, 'tensor<4x3xf32>'}}
  %0 = nn.concat %a, %b dim 1 : tensor<4x3xf32>, tensor<4x3xi64>
  return
}

// -----

func.func @concat_other_dim(%a: tensor<4x3xf32>, %b: tensor<5x2xf32>) {
  // expected-error @+1 {{operand 1 'tensor<5x2xf32>' differs from operand 0, 'tensor<4x3xf32>', in dimension 0, which is not the concatenated one}}
  %0 = nn.concat %a, %b dim 1 : tensor<4x3xf32>, tensor<5x2xf32>
  return
}

// -----

func.func @concat_none() {
  // expected-error @+2 {{expects at least one operand}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "nn.concat"() {dim = 0 : i64} : () -> tensor<4xf32>
  return
}

// -----

func.func @concat_dynamic(%a: tensor<4x3xf32>, %b: tensor<4x?xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.concat %a, %b dim 1 : tensor<4x3xf32>, tensor<4x?xf32>
  return
}

// -----

func.func @slice_grad_type(%d: tensor<2x3xf32>) {
  // expected-error @+1 {{element types differ}}
  %0 = nn.slice_grad %d offsets [0, 0] : tensor<2x3xf32> -> tensor<4x5xf64>
  return
}

// -----

func.func @slice_grad_rank(%d: tensor<2x3xf32>) {
  // expected-error @+1 {{expects a result of the gradient's rank 2, got 'tensor<4x5x1xf32>'}}
  %0 = nn.slice_grad %d offsets [0, 0, 0] : tensor<2x3xf32> -> tensor<4x5x1xf32>
  return
}

// -----

func.func @slice_grad_offsets(%d: tensor<2x3xf32>) {
  // expected-error @+1 {{expects one offset per dimension (2), got 1}}
  %0 = nn.slice_grad %d offsets [0] : tensor<2x3xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @slice_grad_box(%d: tensor<2x3xf32>) {
  // expected-error @+1 {{box [3, 5) of dimension 0 is out of bounds for its size 4}}
  %0 = nn.slice_grad %d offsets [3, 0] : tensor<2x3xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @slice_grad_negative(%d: tensor<2x3xf32>) {
  // expected-error @+1 {{box [-1, 2) of dimension 1 is out of bounds for its size 5}}
  %0 = nn.slice_grad %d offsets [0, -1] : tensor<2x3xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @slice_grad_dynamic(%d: tensor<2x3xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.slice_grad %d offsets [0, 0] : tensor<2x3xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @embedding_table(%ids: tensor<2x5xi64>, %t: tensor<8xf32>) {
  // expected-error @+1 {{expects a rank-2 [V, D] table, got 'tensor<8xf32>'}}
  %0 = nn.embedding %ids, %t : tensor<2x5xi64>, tensor<8xf32>
  return
}

// -----

func.func @embedding_id_type(%ids: tensor<2x5xi32>, %t: tensor<11x8xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 64-bit signless integer values}}
  %0 = nn.embedding %ids, %t : tensor<2x5xi32>, tensor<11x8xf32>
  return
}

// -----

func.func @embedding_dynamic(%ids: tensor<?x5xi64>, %t: tensor<11x8xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.embedding %ids, %t : tensor<?x5xi64>, tensor<11x8xf32>
  return
}

// -----

func.func @embedding_grad_result(%ids: tensor<2x5xi64>, %d: tensor<2x5x8xf32>) {
  // expected-error @+1 {{expects a rank-2 [V, D] result, got 'tensor<88xf32>'}}
  %0 = nn.embedding_grad %ids, %d : tensor<2x5xi64>, tensor<2x5x8xf32> -> tensor<88xf32>
  return
}

// -----

func.func @embedding_grad_shape(%ids: tensor<2x5xi64>, %d: tensor<5x2x8xf32>) {
  // expected-error @+1 {{expects a gradient of type 'tensor<2x5x8xf32>' (the ids' shape followed by D), got 'tensor<5x2x8xf32>'}}
  %0 = nn.embedding_grad %ids, %d : tensor<2x5xi64>, tensor<5x2x8xf32> -> tensor<11x8xf32>
  return
}

// -----

func.func @embedding_grad_dynamic(%ids: tensor<2x5xi64>, %d: tensor<2x5x8xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.embedding_grad %ids, %d : tensor<2x5xi64>, tensor<2x5x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @cross_entropy_logits(%x: tensor<2x4x3xf32>, %l: tensor<2xi64>) {
  // expected-error @+1 {{expects [N, C] logits, got 'tensor<2x4x3xf32>'}}
  %0 = nn.cross_entropy %x, %l : tensor<2x4x3xf32>, tensor<2xi64>
  return
}

// -----

func.func @cross_entropy_labels(%x: tensor<4x3xf32>, %l: tensor<3xi64>) {
  // expected-error @+1 {{expects one label per row of the 'tensor<4x3xf32>' logits (tensor<4xi64>), got 'tensor<3xi64>'}}
  %0 = nn.cross_entropy %x, %l : tensor<4x3xf32>, tensor<3xi64>
  return
}

// -----

func.func @cross_entropy_label_type(%x: tensor<4x3xf32>, %l: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 64-bit signless integer values}}
  %0 = nn.cross_entropy %x, %l : tensor<4x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @cross_entropy_dynamic(%x: tensor<?x3xf32>, %l: tensor<4xi64>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.cross_entropy %x, %l : tensor<?x3xf32>, tensor<4xi64>
  return
}

// -----

func.func @cross_entropy_grad_dloss(%x: tensor<4x3xf32>, %l: tensor<4xi64>, %d: tensor<1xf32>) {
  // expected-error @+1 {{expects a rank-0 loss gradient of the logits' element type, got 'tensor<1xf32>'}}
  %0 = nn.cross_entropy_grad %x, %l, %d : tensor<4x3xf32>, tensor<4xi64>, tensor<1xf32>
  return
}

// -----

func.func @cross_entropy_grad_labels(%x: tensor<4x3xf32>, %l: tensor<2x2xi64>, %d: tensor<f32>) {
  // expected-error @+1 {{expects one label per row of the 'tensor<4x3xf32>' logits (tensor<4xi64>), got 'tensor<2x2xi64>'}}
  %0 = nn.cross_entropy_grad %x, %l, %d : tensor<4x3xf32>, tensor<2x2xi64>, tensor<f32>
  return
}
