// RUN: pareprop-opt %s | pareprop-opt | FileCheck %s

// An aten.call round-trips with its named operands, its arguments and its
// results (one per element of a list result).
// CHECK-LABEL: func.func @calls
// CHECK: aten.call "linear"(%{{.*}}, %{{.*}}, %{{.*}}) {args = {}, operand_names = ["input", "weight", "bias"]} : (tensor<4x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK: aten.call "chunk"(%{{.*}}) {args = {chunks = 2 : i64, dim = -1 : i64}, operand_names = ["self"]} : (tensor<4x8xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>)
// CHECK: aten.call "permute"(%{{.*}}) {args = {dims = array<i64: 1, 0>}, operand_names = ["self"]}
func.func @calls(%x: tensor<4x6xf32>, %w: tensor<8x6xf32>, %b: tensor<8xf32>) -> tensor<4x4xf32> {
  %y = aten.call "linear"(%x, %w, %b) {operand_names = ["input", "weight", "bias"], args = {}} : (tensor<4x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %c:2 = aten.call "chunk"(%y) {operand_names = ["self"], args = {chunks = 2 : i64, dim = -1 : i64}} : (tensor<4x8xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>)
  %t = aten.call "permute"(%c#0) {operand_names = ["self"], args = {dims = array<i64: 1, 0>}} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %t : tensor<4x4xf32>
}
