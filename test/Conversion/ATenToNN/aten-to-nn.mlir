// RUN: pareprop-opt %s -split-input-file -convert-aten-to-nn | FileCheck %s

// Elementwise: tensors broadcast, a number times or over a tensor is a
// scale, neg is a scale by -1.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[ADD:.*]] = nn.add %[[X]], %[[B]] : tensor<2x3xf32>, tensor<3xf32>
// CHECK: %[[MUL:.*]] = nn.scale %[[ADD]] by 2.5{{.*}} : tensor<2x3xf32>
// CHECK: %[[DIV:.*]] = nn.scale %[[MUL]] by 2.5{{.*}} : tensor<2x3xf32>
// CHECK: %[[NEG:.*]] = nn.scale %[[DIV]] by -1.0{{.*}} : tensor<2x3xf32>
// CHECK: %[[SUB:.*]] = nn.sub %[[NEG]], %[[X]]
// CHECK: %[[R:.*]] = nn.relu %[[SUB]]
// CHECK: %[[G:.*]] = nn.gelu %[[R]] {approximate = "tanh"}
// CHECK: %[[E:.*]] = nn.gelu %[[G]] : tensor<2x3xf32>
// CHECK: %[[T:.*]] = nn.tanh %[[E]]
// CHECK: return %[[T]]
func.func @elementwise(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = aten.call "add"(%x, %b) {operand_names = ["self", "other"], args = {alpha = 1 : i64}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = aten.call "mul"(%0) {operand_names = ["self"], args = {other = 2.5 : f64}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = aten.call "div"(%1) {operand_names = ["self"], args = {other = 0.4 : f64}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = aten.call "neg"(%2) {operand_names = ["self"], args = {}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = aten.call "sub"(%3, %x) {operand_names = ["self", "other"], args = {}} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = aten.call "relu"(%4) {operand_names = ["self"], args = {}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = aten.call "gelu"(%5) {operand_names = ["self"], args = {approximate = "tanh"}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = aten.call "gelu"(%6) {operand_names = ["self"], args = {approximate = "none"}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %8 = aten.call "tanh"(%7) {operand_names = ["self"], args = {}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %8 : tensor<2x3xf32>
}

// -----

// Dropout: numbered in order per function; eval mode and rate 0 are the
// identity.
// CHECK-LABEL: func.func @dropout
// CHECK: %[[D0:.*]] = nn.dropout %arg0, %arg1 {rate = 1.0{{.*}}e-01 : f64} : tensor<8xf32>
// CHECK-NOT: nn.dropout %[[D0]]
// CHECK: %[[D1:.*]] = nn.dropout %[[D0]], %arg1 {id = 1 : i64, rate = 5.0{{.*}}e-01 : f64}
// CHECK: return %[[D1]]
func.func @dropout(%x: tensor<8xf32>, %key: i64) -> tensor<8xf32> {
  %0 = aten.call "dropout"(%x, %key) {operand_names = ["input", "key"], args = {p = 0.1 : f64, train = true}} : (tensor<8xf32>, i64) -> tensor<8xf32>
  %1 = aten.call "dropout"(%0, %key) {operand_names = ["input", "key"], args = {p = 0.3 : f64, train = false}} : (tensor<8xf32>, i64) -> tensor<8xf32>
  %2 = aten.call "dropout"(%1, %key) {operand_names = ["input", "key"], args = {p = 0.0 : f64, train = true}} : (tensor<8xf32>, i64) -> tensor<8xf32>
  %3 = aten.call "dropout"(%2, %key) {operand_names = ["input", "key"], args = {p = 0.5 : f64, train = true}} : (tensor<8xf32>, i64) -> tensor<8xf32>
  return %3 : tensor<8xf32>
}

// -----

// Products: a batched left operand times a matrix is one 2-D product of
// the flattened rows; a transpose of the right operand's last two
// dimensions read only by the product folds into transpose_rhs; baddbmm of
// zeros is the scaled product alone.
// CHECK-LABEL: func.func @products
// CHECK: %[[L:.*]] = nn.linear %arg0, %arg1, %arg2 : tensor<2x4x6xf32>, tensor<8x6xf32>, tensor<8xf32>
// CHECK: %[[F:.*]] = nn.reshape %[[L]] : tensor<2x4x8xf32> -> tensor<8x8xf32>
// CHECK: %[[M:.*]] = nn.matmul %[[F]], %arg3 : tensor<8x8xf32>, tensor<8x8xf32>
// CHECK: %[[U:.*]] = nn.reshape %[[M]] : tensor<8x8xf32> -> tensor<2x4x8xf32>
// CHECK-NOT: nn.transpose
// CHECK: %[[S:.*]] = nn.matmul %[[U]], %[[U]] {transpose_rhs} : tensor<2x4x8xf32>, tensor<2x4x8xf32>
// CHECK: %[[P:.*]] = nn.matmul %[[S]], %[[U]] : tensor<2x4x4xf32>, tensor<2x4x8xf32>
// CHECK: %[[B:.*]] = nn.scale %[[P]] by 5.0{{.*}}e-01
// CHECK-NOT: aten.call
// CHECK: return %[[B]]
func.func @products(%x: tensor<2x4x6xf32>, %w: tensor<8x6xf32>, %b: tensor<8xf32>, %m: tensor<8x8xf32>) -> tensor<2x4x8xf32> {
  %0 = aten.call "linear"(%x, %w, %b) {operand_names = ["input", "weight", "bias"], args = {}} : (tensor<2x4x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %1 = aten.call "matmul"(%0, %m) {operand_names = ["self", "other"], args = {}} : (tensor<2x4x8xf32>, tensor<8x8xf32>) -> tensor<2x4x8xf32>
  %2 = aten.call "transpose"(%1) {operand_names = ["self"], args = {dim0 = -2 : i64, dim1 = -1 : i64}} : (tensor<2x4x8xf32>) -> tensor<2x8x4xf32>
  %3 = aten.call "bmm"(%1, %2) {operand_names = ["self", "mat2"], args = {}} : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %z = aten.call "zeros_like"(%1) {operand_names = ["self"], args = {}} : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %4 = aten.call "baddbmm"(%z, %3, %1) {operand_names = ["self", "batch1", "batch2"], args = {alpha = 0.5 : f64, beta = 1 : i64}} : (tensor<2x4x8xf32>, tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %4 : tensor<2x4x8xf32>
}

// -----

// A transpose also read elsewhere stays a transpose.
// CHECK-LABEL: func.func @shared_transpose
// CHECK: %[[T:.*]] = nn.transpose %arg0 perm [1, 0]
// CHECK: nn.matmul %arg0, %[[T]] : tensor<4x4xf32>, tensor<4x4xf32>
// CHECK: nn.add
func.func @shared_transpose(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = aten.call "t"(%x) {operand_names = ["self"], args = {}} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = aten.call "mm"(%x, %0) {operand_names = ["self", "mat2"], args = {}} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = aten.call "add"(%1, %0) {operand_names = ["self", "other"], args = {}} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Normalizations: softmax over an inner dimension is one over the last
// between two transposes.
// CHECK-LABEL: func.func @normalizations
// CHECK: %[[N:.*]], %{{.*}}, %{{.*}} = nn.layer_norm %arg0, %arg1, %arg2 {epsilon = 9.99{{.*}}E-7 : f64} : tensor<2x3x4xf32>, tensor<4xf32>
// CHECK: %[[T:.*]] = nn.transpose %[[N]] perm [0, 2, 1]
// CHECK: %[[S:.*]] = nn.softmax %[[T]] dim 2
// CHECK: %[[B:.*]] = nn.transpose %[[S]] perm [0, 2, 1]
// CHECK: nn.softmax %[[B]] dim 2
func.func @normalizations(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %0 = aten.call "layer_norm"(%x, %g, %b) {operand_names = ["input", "weight", "bias"], args = {normalized_shape = array<i64: 4>, eps = 1.0e-6 : f64, cudnn_enable = true}} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %1 = aten.call "softmax"(%0) {operand_names = ["self"], args = {dim = 1 : i64}} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %2 = aten.call "softmax"(%1) {operand_names = ["self"], args = {dim = -1 : i64}} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %2 : tensor<2x3x4xf32>
}

// -----

// Layout: reshapes take the recorded shape, pieces are consecutive slices.
// CHECK-LABEL: func.func @layout
// CHECK: %[[V:.*]] = nn.reshape %arg0 : tensor<2x6xf32> -> tensor<2x2x3xf32>
// CHECK: %[[P:.*]] = nn.transpose %[[V]] perm [2, 0, 1]
// CHECK: %[[C0:.*]] = nn.slice %[[P]] offsets [0, 0, 0] sizes [1, 2, 2]
// CHECK: %[[C1:.*]] = nn.slice %[[P]] offsets [1, 0, 0] sizes [2, 2, 2]
// CHECK: %[[U:.*]] = nn.slice %[[C1]] offsets [1, 0, 0] sizes [1, 2, 2]
// CHECK: %[[R:.*]] = nn.reshape %[[U]] : tensor<1x2x2xf32> -> tensor<2x2xf32>
// CHECK: %[[S:.*]] = nn.slice %[[C0]] offsets [0, 1, 0] sizes [1, 1, 2]
// CHECK: %[[Q:.*]] = nn.reshape %[[S]] : tensor<1x1x2xf32> -> tensor<1x2xf32>
// CHECK: %[[E:.*]] = nn.broadcast %{{.*}} dims [0] : tensor<2xf32> -> tensor<2x2xf32>
// CHECK: nn.concat %[[R]], %[[E]] dim 0 : tensor<2x2xf32>, tensor<2x2xf32>
func.func @layout(%x: tensor<2x6xf32>) -> tensor<4x2xf32> {
  %0 = aten.call "view"(%x) {operand_names = ["self"], args = {size = array<i64: 2, 2, 3>}} : (tensor<2x6xf32>) -> tensor<2x2x3xf32>
  %1 = aten.call "permute"(%0) {operand_names = ["self"], args = {dims = array<i64: 2, 0, 1>}} : (tensor<2x2x3xf32>) -> tensor<3x2x2xf32>
  %2:2 = aten.call "split_with_sizes"(%1) {operand_names = ["self"], args = {split_sizes = array<i64: 1, 2>, dim = 0 : i64}} : (tensor<3x2x2xf32>) -> (tensor<1x2x2xf32>, tensor<2x2x2xf32>)
  %3:2 = aten.call "unbind"(%2#1) {operand_names = ["self"], args = {dim = 0 : i64}} : (tensor<2x2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>)
  %4 = aten.call "select"(%2#0) {operand_names = ["self"], args = {dim = 1 : i64, index = -1 : i64}} : (tensor<1x2x2xf32>) -> tensor<1x2xf32>
  %5 = aten.call "expand"(%4) {operand_names = ["self"], args = {size = array<i64: 2, 2>}} : (tensor<1x2xf32>) -> tensor<2x2xf32>
  %6 = aten.call "cat"(%3#1, %5) {operand_names = ["tensors", "tensors"], args = {dim = 0 : i64}} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %6 : tensor<4x2xf32>
}

// -----

// Reductions and losses. Labels and ids that are arguments of the public
// function (also through the reshape that flattens them) get their range
// for the index checks. Logits [N, C, d] are rows of their classes.
// CHECK-LABEL: func.func @losses
// CHECK-SAME: %arg1: tensor<2x3xi64> {rev.index_bound = 10 : i64}
// CHECK-SAME: %arg2: tensor<2x5xi64> {rev.index_bound = 3 : i64}
// CHECK: %[[E:.*]] = nn.embedding %arg1, %arg0 : tensor<2x3xi64>, tensor<10x5xf32>
// CHECK: %[[T:.*]] = nn.transpose %[[E]] perm [0, 2, 1]
// CHECK: %[[L:.*]] = nn.reshape %[[T]] : tensor<2x5x3xf32> -> tensor<10x3xf32>
// CHECK: %[[R:.*]] = nn.reshape %arg2 : tensor<2x5xi64> -> tensor<10xi64>
// CHECK: %[[CE:.*]] = nn.cross_entropy %[[L]], %[[R]] {ignore_index = 0 : i64}
// CHECK: %[[M:.*]] = nn.mean %[[E]] dims [1]
// CHECK: nn.reshape %[[M]] : tensor<2x5xf32> -> tensor<2x1x5xf32>
// CHECK: %[[D:.*]] = nn.sub
// CHECK: %[[SQ:.*]] = nn.mul %[[D]], %[[D]]
// CHECK: nn.sum %[[SQ]] dims [0, 1, 2]
func.func @losses(%table: tensor<10x5xf32>, %ids: tensor<2x3xi64>, %labels: tensor<2x5xi64>, %y: tensor<2x1x5xf32>) -> tensor<f32> {
  %0 = aten.call "embedding"(%table, %ids) {operand_names = ["weight", "indices"], args = {padding_idx = -1 : i64, scale_grad_by_freq = false, sparse = false}} : (tensor<10x5xf32>, tensor<2x3xi64>) -> tensor<2x3x5xf32>
  %1 = aten.call "cross_entropy_loss"(%0, %labels) {operand_names = ["self", "target"], args = {reduction = 1 : i64, ignore_index = 0 : i64, label_smoothing = 0.0 : f64}} : (tensor<2x3x5xf32>, tensor<2x5xi64>) -> tensor<f32>
  %2 = aten.call "mean"(%0) {operand_names = ["self"], args = {dim = array<i64: 1>, keepdim = true}} : (tensor<2x3x5xf32>) -> tensor<2x1x5xf32>
  %3 = aten.call "mse_loss"(%2, %y) {operand_names = ["self", "target"], args = {reduction = 2 : i64}} : (tensor<2x1x5xf32>, tensor<2x1x5xf32>) -> tensor<f32>
  %4 = aten.call "add"(%1, %3) {operand_names = ["self", "other"], args = {}} : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %4 : tensor<f32>
}

// -----

// A patch-embedding convolution is a linear map of each patch; an additive
// mask from masked_fill of zeros is the mask scaled and broadcast.
// CHECK-LABEL: func.func @patches_and_masks
// CHECK: nn.reshape %arg0 : tensor<1x3x4x4xf32> -> tensor<1x3x2x2x2x2xf32>
// CHECK: nn.transpose %{{.*}} perm [0, 2, 4, 1, 3, 5]
// CHECK: nn.reshape %{{.*}} : tensor<1x2x2x3x2x2xf32> -> tensor<1x2x2x12xf32>
// CHECK: nn.reshape %arg1 : tensor<5x3x2x2xf32> -> tensor<5x12xf32>
// CHECK: nn.linear %{{.*}}, %{{.*}}, %arg2
// CHECK: nn.transpose %{{.*}} perm [0, 3, 1, 2]
// CHECK: %[[S:.*]] = nn.scale %arg3 by -1.0{{0*}}e+09
// CHECK: nn.broadcast %[[S]] dims [0]
// CHECK-NOT: zeros_like
func.func @patches_and_masks(%x: tensor<1x3x4x4xf32>, %w: tensor<5x3x2x2xf32>, %b: tensor<5xf32>, %mask: tensor<4xf32>, %scores: tensor<3x4xf32>) -> (tensor<1x5x2x2xf32>, tensor<3x4xf32>) {
  %0 = aten.call "conv2d"(%x, %w, %b) {operand_names = ["input", "weight", "bias"], args = {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64}} : (tensor<1x3x4x4xf32>, tensor<5x3x2x2xf32>, tensor<5xf32>) -> tensor<1x5x2x2xf32>
  %z = aten.call "zeros_like"(%scores) {operand_names = ["self"], args = {}} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %1 = aten.call "masked_fill"(%z, %mask) {operand_names = ["self", "mask"], args = {value = 0xFFF0000000000000 : f64}} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<1x5x2x2xf32>, tensor<3x4xf32>
}

// -----

// The identities: contiguous, clone and a conversion to the same dtype.
// CHECK-LABEL: func.func @identities
// CHECK-NEXT: return %arg0
func.func @identities(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = aten.call "contiguous"(%x) {operand_names = ["self"], args = {}} : (tensor<3xf32>) -> tensor<3xf32>
  %1 = aten.call "clone"(%0) {operand_names = ["self"], args = {}} : (tensor<3xf32>) -> tensor<3xf32>
  %2 = aten.call "to"(%1) {operand_names = ["self"], args = {}} : (tensor<3xf32>) -> tensor<3xf32>
  return %2 : tensor<3xf32>
}
