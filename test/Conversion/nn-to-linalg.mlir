// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[UNIT:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func @broadcasting_add
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK:   arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[UNIT]], #[[ID]], #[[ID]]]
// CHECK:   arith.subf
func.func @broadcasting_add(%a: tensor<4x8xf32>, %b: tensor<8xf32>, %c: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.add %a, %b : tensor<4x8xf32>, tensor<8xf32>
  %1 = nn.sub %c, %0 : tensor<1x8xf32>, tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// Transposes fold into the indexing maps.
// CHECK-DAG: #[[A_T:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul_transpose_lhs
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[A_T]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[ZERO]] : tensor<3x5xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
func.func @matmul_transpose_lhs(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = nn.matmul %a, %b {transpose_lhs} : tensor<4x3xf32>, tensor<4x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func @mean_all
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<f32>)
// CHECK: arith.constant 3.200000e+01 : f32
// CHECK: arith.divf
func.func @mean_all(%a: tensor<4x8xf32>) -> tensor<f32> {
  %0 = nn.mean %a dims [0, 1] : tensor<4x8xf32>
  return %0 : tensor<f32>
}

// -----

// Unbroadcasting sums the leading and the size-1 dimensions, then restores
// the unit dimension.
// CHECK-LABEL: func @reduce_to
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "parallel"]
// CHECK-SAME: outs(%{{.*}} : tensor<8xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 8] : tensor<8xf32> into tensor<1x8xf32>
func.func @reduce_to(%a: tensor<2x4x8xf32>) -> tensor<1x8xf32> {
  %0 = nn.reduce_to %a : tensor<2x4x8xf32> -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// CHECK-LABEL: func @activations
// CHECK: math.tanh
// CHECK: arith.maximumf
// CHECK: math.erf
// CHECK: math.exp
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK-NOT: nn.
func.func @activations(%x: tensor<4xf64>, %d: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
  %0 = nn.tanh %x : tensor<4xf64>
  %1 = nn.relu %x : tensor<4xf64>
  %2 = nn.gelu %x : tensor<4xf64>
  %3 = nn.gelu_grad %x, %d : tensor<4xf64>
  %4 = nn.relu_grad %x, %d : tensor<4xf64>
  return %0, %1, %2, %3, %4 : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
}

// -----

// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]]
func.func @broadcast(%x: tensor<4xf32>) -> tensor<4x8xf32> {
  %0 = nn.broadcast %x dims [1] : tensor<4xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Batch dimensions are parallel loops shared by both operands.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @batched_matmul
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[K]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
func.func @batched_matmul(%a: tensor<2x3x5x4xf32>, %b: tensor<2x3x5x4xf32>) -> tensor<2x3x5x5xf32> {
  %0 = nn.matmul %a, %b {transpose_rhs} : tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>
  return %0 : tensor<2x3x5x5xf32>
}

// -----

// The output starts as the broadcast bias and accumulates x W^T.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func @linear
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], {{.*}}]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<2x5x3xf32>)
func.func @linear(%x: tensor<2x5x7xf32>, %w: tensor<3x7xf32>, %b: tensor<3xf32>) -> tensor<2x5x3xf32> {
  %0 = nn.linear %x, %w, %b : tensor<2x5x7xf32>, tensor<3x7xf32>, tensor<3xf32>
  return %0 : tensor<2x5x3xf32>
}

// -----

// Two passes for the statistics (mean, then squared deviations), then one
// affine pass; the statistics are results too.
// CHECK-LABEL: func @layer_norm
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]]
// CHECK:   arith.divf
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %[[MEAN]]
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]]
// CHECK:   math.sqrt
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MEAN]], %[[RSTD]], %{{.*}}, %{{.*}} :
// CHECK: return %[[Y]], %[[MEAN]], %[[RSTD]]
func.func @layer_norm(%x: tensor<5x7xf32>, %g: tensor<7xf32>, %b: tensor<7xf32>) -> (tensor<5x7xf32>, tensor<5xf32>, tensor<5xf32>) {
  %0:3 = nn.layer_norm %x, %g, %b : tensor<5x7xf32>, tensor<7xf32>
  return %0#0, %0#1, %0#2 : tensor<5x7xf32>, tensor<5xf32>, tensor<5xf32>
}

// -----

// Shifted by the row maximum so exp never overflows.
// CHECK-LABEL: func @softmax
// CHECK: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK:   arith.maximumf
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]]
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[EXP]]
// CHECK: linalg.generic {{.*}} ins(%[[EXP]], %[[SUM]]
// CHECK:   arith.divf
func.func @softmax(%x: tensor<5x7xf32>) -> tensor<5x7xf32> {
  %0 = nn.softmax %x dim 1 : tensor<5x7xf32>
  return %0 : tensor<5x7xf32>
}

// -----

// Reshape and transpose are a view and a permuted copy.
// CHECK-DAG: #[[PERM:.*]] = affine_map<(d0, d1, d2) -> (d1, d2, d0)>
// CHECK-LABEL: func @layout
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<2x5x6xf32> into tensor<60xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1, 2, 3]] output_shape [2, 5, 2, 3]
// CHECK: linalg.generic {indexing_maps = [#[[PERM]], {{.*}}]} ins(%{{.*}} : tensor<2x5x3xf32>) outs(%{{.*}} : tensor<3x2x5xf32>)
func.func @layout(%x: tensor<2x5x6xf32>, %y: tensor<2x5x3xf32>) -> (tensor<2x5x2x3xf32>, tensor<3x2x5xf32>) {
  %0 = nn.reshape %x : tensor<2x5x6xf32> -> tensor<2x5x2x3xf32>
  %1 = nn.transpose %y perm [2, 0, 1] : tensor<2x5x3xf32>
  return %0, %1 : tensor<2x5x2x3xf32>, tensor<3x2x5xf32>
}

// -----

// The keep bit is a hash of the key, the op id and the element's row-major
// index (from linalg.index): no state, so every evaluation draws the same
// mask. 0.25 * 2^24 = 4194304 is the threshold; 1 / (1 - 0.25) the scale.
// CHECK-LABEL: func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<5x7xf32>, %[[SEED:.*]]: i64)
// CHECK: %[[KEY:.*]] = arith.addi %[[SEED]]
// CHECK: %[[BASE_IN:.*]] = arith.xori %{{.*}}, %{{.*}} : i64
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<5x7xf32>)
// CHECK-DAG:   %[[I0:.*]] = linalg.index 0
// CHECK-DAG:   %[[I1:.*]] = linalg.index 1
// CHECK:   %[[THRESHOLD:.*]] = arith.constant 4194304 : i64
// CHECK:   %[[KEEP:.*]] = arith.cmpi sge, %{{.*}}, %[[THRESHOLD]] : i64
// CHECK:   arith.constant 1.33333337 : f32
// CHECK:   arith.select %[[KEEP]]
func.func @dropout(%x: tensor<5x7xf32>, %seed: i64) -> tensor<5x7xf32> {
  %k = nn.fold_key %seed, 2
  %0 = nn.dropout %x, %k {rate = 0.25 : f64, id = 3 : i64} : tensor<5x7xf32>
  return %0 : tensor<5x7xf32>
}
