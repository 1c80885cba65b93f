// RUN: pareprop-opt %s -split-input-file -convert-aten-to-nn -verify-diagnostics

func.func @unsupported(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unsupported op aten::sigmoid}}
  %0 = aten.call "sigmoid"(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @missing_operand(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::relu: needs tensor operand 'self'}}
  %0 = aten.call "relu"(%x) {operand_names = ["input"], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @wrong_argument_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::softmax: argument 'dim' must be an integer, got "last"}}
  %0 = aten.call "softmax"(%x) {operand_names = ["self"], args = {dim = "last"}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @missing_argument(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::softmax: needs argument 'dim'}}
  %0 = aten.call "softmax"(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @alpha(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::add: alpha is not supported}}
  %0 = aten.call "add"(%x, %x) {operand_names = ["self", "other"], args = {alpha = 2 : i64}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_number(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::add: adding a number to a tensor is not supported}}
  %0 = aten.call "add"(%x) {operand_names = ["self"], args = {other = 1.0 : f64}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @divide_by_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::div: division by a tensor is not supported}}
  %0 = aten.call "div"(%x, %x) {operand_names = ["self", "other"], args = {}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @no_broadcast(%x: tensor<4xf32>, %y: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::mul: shapes 'tensor<4xf32>' and 'tensor<3xf32>' do not broadcast}}
  %0 = aten.call "mul"(%x, %y) {operand_names = ["self", "other"], args = {}} : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @wrong_recorded_type(%x: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{aten::relu: lowered to 'tensor<4xf32>' where the frontend recorded 'tensor<5xf32>'}}
  %0 = aten.call "relu"(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @dropout_without_key(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::dropout: needs the i64 operand 'key' (the dropout seed)}}
  %0 = aten.call "dropout"(%x) {operand_names = ["input"], args = {p = 0.5 : f64, train = true}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dropout_rate(%x: tensor<4xf32>, %key: i64) -> tensor<4xf32> {
  // expected-error @+1 {{aten::dropout: dropout rate 1.000000e+00 not in [0, 1)}}
  %0 = aten.call "dropout"(%x, %key) {operand_names = ["input", "key"], args = {p = 1.0 : f64, train = true}} : (tensor<4xf32>, i64) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @vector_product(%x: tensor<4xf32>, %m: tensor<4x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::matmul: matmul of a vector is not supported}}
  %0 = aten.call "matmul"(%x, %m) {operand_names = ["self", "other"], args = {}} : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @inner_dimensions(%x: tensor<2x3xf32>, %m: tensor<4x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{aten::mm: matmul of 'tensor<2x3xf32>' and 'tensor<4x4xf32>': inner dimensions differ}}
  %0 = aten.call "mm"(%x, %m) {operand_names = ["self", "mat2"], args = {}} : (tensor<2x3xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @batch_broadcast(%x: tensor<2x3x4xf32>, %m: tensor<1x4x4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{batch dimensions must match (no batch broadcasting)}}
  %0 = aten.call "matmul"(%x, %m) {operand_names = ["self", "other"], args = {}} : (tensor<2x3x4xf32>, tensor<1x4x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @linear_shapes(%x: tensor<2x3xf32>, %w: tensor<4x5xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{aten::linear: linear of 'tensor<2x3xf32>' with weight 'tensor<4x5xf32>'}}
  %0 = aten.call "linear"(%x, %w) {operand_names = ["input", "weight"], args = {}} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @layer_norm_dims(%x: tensor<2x3xf32>, %g: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{layer_norm over more than the last dimension is not supported}}
  %0 = aten.call "layer_norm"(%x, %g, %g) {operand_names = ["input", "weight", "bias"], args = {normalized_shape = array<i64: 2, 3>}} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @layer_norm_affine(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{layer_norm without weight and bias is not supported}}
  %0 = aten.call "layer_norm"(%x) {operand_names = ["input"], args = {normalized_shape = array<i64: 3>}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @softmax_dtype(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{softmax with a dtype is not supported}}
  %0 = aten.call "softmax"(%x) {operand_names = ["self"], args = {dim = 0 : i64, dtype = 6 : i64}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @softmax_dim(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{dim 3 out of range for 'tensor<4xf32>'}}
  %0 = aten.call "softmax"(%x) {operand_names = ["self"], args = {dim = 3 : i64}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @permutation(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{dims [1, 1] are not a permutation of the dimensions of 'tensor<2x3xf32>'}}
  %0 = aten.call "permute"(%x) {operand_names = ["self"], args = {dims = array<i64: 1, 1>}} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @slice_step(%x: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{slices with a step are not supported}}
  %0 = aten.call "slice"(%x) {operand_names = ["self"], args = {dim = 0 : i64, start = 0 : i64, end = 4 : i64, step = 2 : i64}} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @select_range(%x: tensor<4x2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{index 4 out of range}}
  %0 = aten.call "select"(%x) {operand_names = ["self"], args = {dim = 0 : i64, index = 4 : i64}} : (tensor<4x2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @cat_shapes(%x: tensor<4x2xf32>, %y: tensor<4x3xf32>) -> tensor<8x2xf32> {
  // expected-error @+1 {{cat of tensors whose other dimensions differ}}
  %0 = aten.call "cat"(%x, %y) {operand_names = ["tensors", "tensors"], args = {dim = 0 : i64}} : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @mse_none(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{mse_loss supports reduction 'mean' or 'sum'}}
  %0 = aten.call "mse_loss"(%x, %x) {operand_names = ["self", "target"], args = {reduction = 0 : i64}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @float_labels(%x: tensor<2x3xf32>, %y: tensor<2xf32>) -> tensor<f32> {
  // expected-error @+1 {{cross_entropy labels must be class indices (an integer tensor)}}
  %0 = aten.call "cross_entropy_loss"(%x, %y) {operand_names = ["self", "target"], args = {}} : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @label_smoothing(%x: tensor<2x3xf32>, %y: tensor<2xi64>) -> tensor<f32> {
  // expected-error @+1 {{cross_entropy supports class-index targets with the default weight, reduction and label_smoothing}}
  %0 = aten.call "cross_entropy_loss"(%x, %y) {operand_names = ["self", "target"], args = {label_smoothing = 0.1 : f64}} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @padding_idx(%t: tensor<5x2xf32>, %ids: tensor<3xi64>) -> tensor<3x2xf32> {
  // expected-error @+1 {{embedding with padding_idx, scale_grad_by_freq or sparse is not supported}}
  %0 = aten.call "embedding"(%t, %ids) {operand_names = ["weight", "indices"], args = {padding_idx = 0 : i64}} : (tensor<5x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @convolution(%x: tensor<1x3x4x4xf32>, %w: tensor<5x3x2x2xf32>) -> tensor<1x5x3x3xf32> {
  // expected-error @+1 {{only patch-embedding convolutions are supported}}
  %0 = aten.call "conv2d"(%x, %w) {operand_names = ["input", "weight"], args = {stride = array<i64: 1, 1>}} : (tensor<1x3x4x4xf32>, tensor<5x3x2x2xf32>) -> tensor<1x5x3x3xf32>
  return %0 : tensor<1x5x3x3xf32>
}

// -----

func.func @masked_fill_of_values(%x: tensor<4xf32>, %m: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{masked_fill is supported on zeros (additive attention masks) only}}
  %0 = aten.call "masked_fill"(%x, %m) {operand_names = ["self", "mask"], args = {value = 1.0 : f64}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @zeros_as_a_value(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{aten::zeros_like is supported only as the zero base of masked_fill or baddbmm}}
  %0 = aten.call "zeros_like"(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dtype_conversion(%x: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{dtype conversions are not supported}}
  %0 = aten.call "to"(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @label_positions(%x: tensor<2x3x5xf32>, %y: tensor<2x3xi64>) -> tensor<f32> {
  // expected-error @+1 {{cross_entropy of 'tensor<2x3x5xf32>' logits ([N, C, d1, ...]) needs [N, d1, ...] labels, got 'tensor<2x3xi64>'}}
  %0 = aten.call "cross_entropy_loss"(%x, %y) {operand_names = ["self", "target"], args = {}} : (tensor<2x3x5xf32>, tensor<2x3xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}
