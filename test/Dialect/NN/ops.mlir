// RUN: pareprop-opt %s -split-input-file | pareprop-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<4x8xf32>, %b: tensor<8xf32>, %c: tensor<1x8xf32>) -> tensor<4x8xf32> {
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8xf32>
  %0 = nn.add %a, %b : tensor<4x8xf32>, tensor<8xf32>
  // CHECK: nn.sub %{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<4x8xf32>
  %1 = nn.sub %c, %0 : tensor<1x8xf32>, tensor<4x8xf32>
  // CHECK: nn.mul
  %2 = nn.mul %1, %1 : tensor<4x8xf32>, tensor<4x8xf32>
  // CHECK: nn.tanh
  %3 = nn.tanh %2 : tensor<4x8xf32>
  // CHECK: nn.relu
  %4 = nn.relu %3 : tensor<4x8xf32>
  // CHECK: nn.gelu %{{.*}} {approximate = "tanh"}
  %5 = nn.gelu %4 {approximate = "tanh"} : tensor<4x8xf32>
  // CHECK: nn.gelu %{{.*}} : tensor<4x8xf32>
  %6 = nn.gelu %5 : tensor<4x8xf32>
  // CHECK: nn.scale %{{.*}} by 2.500000e-01
  %7 = nn.scale %6 by 0.25 : tensor<4x8xf32>
  return %7 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @matmul_and_reductions
func.func @matmul_and_reductions(%a: tensor<4x3xf32>, %b: tensor<5x3xf32>) -> (tensor<4x5xf32>, tensor<3x5xf32>, tensor<4xf32>, tensor<f32>) {
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<4x3xf32>, tensor<5x3xf32>
  %0 = nn.matmul %a, %b {transpose_rhs} : tensor<4x3xf32>, tensor<5x3xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<4x3xf32>, tensor<4x5xf32>
  %1 = nn.matmul %a, %0 {transpose_lhs} : tensor<4x3xf32>, tensor<4x5xf32>
  // CHECK: nn.sum %{{.*}} dims [1] : tensor<4x5xf32>
  %2 = nn.sum %0 dims [1] : tensor<4x5xf32>
  // CHECK: nn.mean %{{.*}} dims [0, 1] : tensor<4x5xf32>
  %3 = nn.mean %0 dims [0, 1] : tensor<4x5xf32>
  return %0, %1, %2, %3 : tensor<4x5xf32>, tensor<3x5xf32>, tensor<4xf32>, tensor<f32>
}

// -----

// CHECK-LABEL: func @gradient_helpers
func.func @gradient_helpers(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>, %s: tensor<4xf32>) -> (tensor<4x8xf32>, tensor<1x8xf32>, tensor<4x8xf32>) {
  // CHECK: nn.broadcast %{{.*}} dims [1] : tensor<4xf32> -> tensor<4x8xf32>
  %0 = nn.broadcast %s dims [1] : tensor<4xf32> -> tensor<4x8xf32>
  // CHECK: nn.reduce_to %{{.*}} : tensor<4x8xf32> -> tensor<1x8xf32>
  %1 = nn.reduce_to %d : tensor<4x8xf32> -> tensor<1x8xf32>
  // CHECK: nn.tanh_grad
  %2 = nn.tanh_grad %x, %d : tensor<4x8xf32>
  // CHECK: nn.relu_grad
  %3 = nn.relu_grad %x, %2 : tensor<4x8xf32>
  // CHECK: nn.gelu_grad %{{.*}}, %{{.*}} {approximate = "tanh"}
  %4 = nn.gelu_grad %x, %3 {approximate = "tanh"} : tensor<4x8xf32>
  return %0, %1, %4 : tensor<4x8xf32>, tensor<1x8xf32>, tensor<4x8xf32>
}

// -----

// The ops of a transformer block: multi-head split, attention, merge.
// CHECK-LABEL: func @attention
func.func @attention(%x: tensor<2x5x12xf32>, %g: tensor<12xf32>, %w: tensor<12x12xf32>, %b: tensor<12xf32>, %key: i64) -> tensor<2x5x12xf32> {
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x5x12xf32>, tensor<12xf32>
  %h, %mean, %rstd = nn.layer_norm %x, %g, %b : tensor<2x5x12xf32>, tensor<12xf32>
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99{{[0-9]*}}E-7 : f64}
  %h2:3 = nn.layer_norm %x, %g, %b {epsilon = 1.0e-6 : f64} : tensor<2x5x12xf32>, tensor<12xf32>
  // CHECK: nn.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x5x12xf32>, tensor<12x12xf32>, tensor<12xf32>
  %q = nn.linear %h, %w, %b : tensor<2x5x12xf32>, tensor<12x12xf32>, tensor<12xf32>
  // CHECK: nn.linear %{{.*}}, %{{.*}} : tensor<2x5x12xf32>, tensor<12x12xf32>{{$}}
  %k = nn.linear %h, %w : tensor<2x5x12xf32>, tensor<12x12xf32>
  // CHECK: nn.reshape %{{.*}} : tensor<2x5x12xf32> -> tensor<2x5x3x4xf32>
  %q4 = nn.reshape %q : tensor<2x5x12xf32> -> tensor<2x5x3x4xf32>
  %k4 = nn.reshape %k : tensor<2x5x12xf32> -> tensor<2x5x3x4xf32>
  // CHECK: nn.transpose %{{.*}} perm [0, 2, 1, 3] : tensor<2x5x3x4xf32>
  %qh = nn.transpose %q4 perm [0, 2, 1, 3] : tensor<2x5x3x4xf32>
  %kh = nn.transpose %k4 perm [0, 2, 1, 3] : tensor<2x5x3x4xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>
  %s = nn.matmul %qh, %kh {transpose_rhs} : tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>
  // CHECK: nn.softmax %{{.*}} dim 3 : tensor<2x3x5x5xf32>
  %p = nn.softmax %s dim 3 : tensor<2x3x5x5xf32>
  // CHECK: nn.softmax %{{.*}} dim -1
  %p2 = nn.softmax %p dim -1 : tensor<2x3x5x5xf32>
  // CHECK: %[[KEY:.*]] = nn.fold_key %{{.*}}, 3
  %k3 = nn.fold_key %key, 3
  // CHECK: nn.dropout %{{.*}}, %[[KEY]] {id = 1 : i64, rate = 1.000000e-01 : f64} : tensor<2x3x5x5xf32>
  %pd = nn.dropout %p2, %k3 {id = 1 : i64, rate = 0.1 : f64} : tensor<2x3x5x5xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<2x3x5x5xf32>, tensor<2x3x5x4xf32>
  %o = nn.matmul %pd, %qh : tensor<2x3x5x5xf32>, tensor<2x3x5x4xf32>
  %o2 = nn.transpose %o perm [0, 2, 1, 3] : tensor<2x3x5x4xf32>
  %o3 = nn.reshape %o2 : tensor<2x5x3x4xf32> -> tensor<2x5x12xf32>
  return %o3 : tensor<2x5x12xf32>
}

// -----

// Slicing and concatenation, on activations and on integer ids.
// CHECK-LABEL: func @layout
func.func @layout(%x: tensor<2x5x14xf32>, %y: tensor<2x5x3xf32>, %ids: tensor<2x5xi64>) -> (tensor<2x5x17xf32>, tensor<2x4xi64>, tensor<2x5x14xf32>, tensor<2x5x7xf32>) {
  // CHECK: nn.slice %{{.*}} offsets [0, 0, 7] sizes [2, 5, 7] : tensor<2x5x14xf32>
  %0 = nn.slice %x offsets [0, 0, 7] sizes [2, 5, 7] : tensor<2x5x14xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}}, %{{.*}} dim 2 : tensor<2x5x7xf32>, tensor<2x5x3xf32>, tensor<2x5x7xf32>
  %1 = nn.concat %0, %y, %0 dim 2 : tensor<2x5x7xf32>, tensor<2x5x3xf32>, tensor<2x5x7xf32>
  // CHECK: nn.slice %{{.*}} offsets [0, 1] sizes [2, 4] : tensor<2x5xi64>
  %2 = nn.slice %ids offsets [0, 1] sizes [2, 4] : tensor<2x5xi64>
  // CHECK: nn.slice_grad %{{.*}} offsets [0, 0, 7] : tensor<2x5x7xf32> -> tensor<2x5x14xf32>
  %3 = nn.slice_grad %0 offsets [0, 0, 7] : tensor<2x5x7xf32> -> tensor<2x5x14xf32>
  // CHECK: nn.concat %{{.*}} dim 0 : tensor<2x5x7xf32>
  %4 = nn.concat %0 dim 0 : tensor<2x5x7xf32>
  return %1, %2, %3, %4 : tensor<2x5x17xf32>, tensor<2x4xi64>, tensor<2x5x14xf32>, tensor<2x5x7xf32>
}

// -----

// Embedding lookup and cross-entropy, with their gradient helpers.
// CHECK-LABEL: func @index_ops
func.func @index_ops(%ids: tensor<2x5xi64>, %table: tensor<11x8xf64>, %logits: tensor<4x3xf64>, %labels: tensor<4xi64>, %d: tensor<f64>) -> (tensor<2x5x8xf64>, tensor<11x8xf64>, tensor<f64>, tensor<4x3xf64>) {
  // CHECK: nn.embedding %{{.*}}, %{{.*}} : tensor<2x5xi64>, tensor<11x8xf64>
  %0 = nn.embedding %ids, %table : tensor<2x5xi64>, tensor<11x8xf64>
  // CHECK: nn.embedding_grad %{{.*}}, %{{.*}} : tensor<2x5xi64>, tensor<2x5x8xf64> -> tensor<11x8xf64>
  %1 = nn.embedding_grad %ids, %0 : tensor<2x5xi64>, tensor<2x5x8xf64> -> tensor<11x8xf64>
  // CHECK: nn.cross_entropy %{{.*}}, %{{.*}} : tensor<4x3xf64>, tensor<4xi64>
  %2 = nn.cross_entropy %logits, %labels : tensor<4x3xf64>, tensor<4xi64>
  // CHECK: nn.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x3xf64>, tensor<4xi64>, tensor<f64>
  %3 = nn.cross_entropy_grad %logits, %labels, %d : tensor<4x3xf64>, tensor<4xi64>, tensor<f64>
  // The default ignore index (-100) is not printed; another one is.
  // CHECK-NOT: ignore_index = -100
  // CHECK: nn.cross_entropy %{{.*}}, %{{.*}} {ignore_index = 1 : i64} : tensor<4x3xf64>, tensor<4xi64>
  %4 = nn.cross_entropy %logits, %labels {ignore_index = 1 : i64} : tensor<4x3xf64>, tensor<4xi64>
  // CHECK: nn.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} {ignore_index = -1 : i64} : tensor<4x3xf64>, tensor<4xi64>, tensor<f64>
  %5 = nn.cross_entropy_grad %logits, %labels, %d {ignore_index = -1 : i64} : tensor<4x3xf64>, tensor<4xi64>, tensor<f64>
  return %0, %1, %2, %3 : tensor<2x5x8xf64>, tensor<11x8xf64>, tensor<f64>, tensor<4x3xf64>
}

// -----

// A rank-0 id gives one row; a rank-3 id tensor gives a rank-4 result.
// CHECK-LABEL: func @embedding_ranks
func.func @embedding_ranks(%id: tensor<i64>, %ids: tensor<2x3x4xi64>, %table: tensor<7x5xf32>) -> (tensor<5xf32>, tensor<2x3x4x5xf32>) {
  // CHECK: nn.embedding %{{.*}}, %{{.*}} : tensor<i64>, tensor<7x5xf32>
  %0 = nn.embedding %id, %table : tensor<i64>, tensor<7x5xf32>
  %1 = nn.embedding %ids, %table : tensor<2x3x4xi64>, tensor<7x5xf32>
  return %0, %1 : tensor<5xf32>, tensor<2x3x4x5xf32>
}
