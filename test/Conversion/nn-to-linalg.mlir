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
