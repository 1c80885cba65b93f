// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg=row-kernels=false | FileCheck %s
// (layer_norm and softmax as row kernels: nn-to-linalg-row-kernels.mlir.)

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

// Shifted by the row maximum so exp never overflows. The reductions'
// combining ops may be reassociated (so LLVM vectorizes them); the
// elementwise arithmetic may not.
// CHECK-LABEL: func @softmax
// CHECK: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAX:.*]] = linalg.generic
// CHECK:   arith.maximumf {{.*}} fastmath<reassoc> : f32
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]]
// CHECK:   arith.subf
// CHECK-NOT: fastmath
// CHECK:   math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[EXP]]
// CHECK:   arith.addf {{.*}} fastmath<reassoc> : f32
// CHECK: linalg.generic {{.*}} ins(%[[EXP]], %[[SUM]]
// CHECK-NOT: fastmath
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

// -----

// A slice is an extract_slice (a view once bufferized); its gradient is
// inserted into zeros; a concat inserts each operand at its offset into one
// empty tensor, and a one-operand concat is the operand itself.
// CHECK-LABEL: func @slice_concat
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x14xf32>, %[[Y:.*]]: tensor<2x5x3xf32>, %[[D:.*]]: tensor<2x5x7xf32>)
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][0, 0, 7] [2, 5, 7] [1, 1, 1] : tensor<2x5x14xf32> to tensor<2x5x7xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x5x10xf32>
// CHECK: %[[C0:.*]] = tensor.insert_slice %[[Y]] into %[[E]][0, 0, 0] [2, 5, 3] [1, 1, 1] : tensor<2x5x3xf32> into tensor<2x5x10xf32>
// CHECK: %[[C1:.*]] = tensor.insert_slice %[[S]] into %[[C0]][0, 0, 3] [2, 5, 7] [1, 1, 1] : tensor<2x5x7xf32> into tensor<2x5x10xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x5x14xf32>)
// CHECK: %[[G:.*]] = tensor.insert_slice %[[D]] into %[[Z]][0, 0, 7] [2, 5, 7] [1, 1, 1] : tensor<2x5x7xf32> into tensor<2x5x14xf32>
// CHECK: return %[[C1]], %[[G]], %[[S]]
func.func @slice_concat(%x: tensor<2x5x14xf32>, %y: tensor<2x5x3xf32>, %d: tensor<2x5x7xf32>) -> (tensor<2x5x10xf32>, tensor<2x5x14xf32>, tensor<2x5x7xf32>) {
  %0 = nn.slice %x offsets [0, 0, 7] sizes [2, 5, 7] : tensor<2x5x14xf32>
  %1 = nn.concat %y, %0 dim 2 : tensor<2x5x3xf32>, tensor<2x5x7xf32>
  %2 = nn.slice_grad %d offsets [0, 0, 7] : tensor<2x5x7xf32> -> tensor<2x5x14xf32>
  %3 = nn.concat %0 dim 1 : tensor<2x5x7xf32>
  return %1, %2, %3 : tensor<2x5x10xf32>, tensor<2x5x14xf32>, tensor<2x5x7xf32>
}

// -----

// The gather reads each id, clamps it to [0, V - 1] and extracts the table
// element in the loop body.
// CHECK-DAG: #[[IDS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func @embedding
// CHECK-SAME: (%[[IDS_ARG:.*]]: tensor<2x5xi64>, %[[TABLE:.*]]: tensor<11x8xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IDS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[IDS_ARG]] : tensor<2x5xi64>) outs(%{{.*}} : tensor<2x5x8xf32>)
// CHECK: ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK-DAG:   %[[LO:.*]] = arith.constant 0 : i64
// CHECK-DAG:   %[[HI:.*]] = arith.constant 10 : i64
// CHECK:   %[[MAX:.*]] = arith.maxsi %[[ID]], %[[LO]] : i64
// CHECK:   %[[MIN:.*]] = arith.minsi %[[MAX]], %[[HI]] : i64
// CHECK:   %[[ROW:.*]] = arith.index_cast %[[MIN]] : i64 to index
// CHECK:   %[[COL:.*]] = linalg.index 2 : index
// CHECK:   %[[V:.*]] = tensor.extract %[[TABLE]][%[[ROW]], %[[COL]]] : tensor<11x8xf32>
// CHECK:   linalg.yield %[[V]] : f32
func.func @embedding(%ids: tensor<2x5xi64>, %table: tensor<11x8xf32>) -> tensor<2x5x8xf32> {
  %0 = nn.embedding %ids, %table : tensor<2x5xi64>, tensor<11x8xf32>
  return %0 : tensor<2x5x8xf32>
}

// -----

// The scatter-add is a loop nest over the ids (O(tokens x D)): each
// iteration adds one gradient row into the row its clamped id names, in
// place, on a zero-filled table.
// CHECK-LABEL: func @embedding_grad
// CHECK-SAME: (%[[IDS:.*]]: tensor<2x5xi64>, %[[D:.*]]: tensor<2x5x8xf32>)
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<11x8xf32>)
// CHECK: %[[R:.*]] = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A0:.*]] = %[[ZERO]]) -> (tensor<11x8xf32>)
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A:.*]] = %[[A0]]) -> (tensor<11x8xf32>)
// CHECK:     %[[ID:.*]] = tensor.extract %[[IDS]][%[[I]], %[[J]]] : tensor<2x5xi64>
// CHECK:     arith.maxsi %[[ID]]
// CHECK:     %[[ROW:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK:     %[[SRC:.*]] = tensor.extract_slice %[[D]][%[[I]], %[[J]], 0] [1, 1, 8] [1, 1, 1] : tensor<2x5x8xf32> to tensor<8xf32>
// CHECK:     %[[DST:.*]] = tensor.extract_slice %[[A]][%[[ROW]], 0] [1, 8] [1, 1] : tensor<11x8xf32> to tensor<8xf32>
// CHECK:     %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[SRC]] : tensor<8xf32>) outs(%[[DST]] : tensor<8xf32>)
// CHECK:       arith.addf
// CHECK:     %[[NEW:.*]] = tensor.insert_slice %[[SUM]] into %[[A]][%[[ROW]], 0] [1, 8] [1, 1] : tensor<8xf32> into tensor<11x8xf32>
// CHECK:     scf.yield %[[NEW]] : tensor<11x8xf32>
// CHECK: return %[[R]]
func.func @embedding_grad(%ids: tensor<2x5xi64>, %d: tensor<2x5x8xf32>) -> tensor<11x8xf32> {
  %0 = nn.embedding_grad %ids, %d : tensor<2x5xi64>, tensor<2x5x8xf32> -> tensor<11x8xf32>
  return %0 : tensor<11x8xf32>
}

// -----

// Cross-entropy: row max, sum of exp(x - max), the labelled logit picked by
// comparing the class index with the label, then the mean of
// log(sum) + max - picked.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @cross_entropy
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[L:.*]]: tensor<4xi64>)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x3xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MAX]] : tensor<4x3xf32>, tensor<4xf32>)
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK: %[[PICK:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[L]] : tensor<4x3xf32>, tensor<4xi64>)
// CHECK:   %[[C:.*]] = linalg.index 1 : index
// CHECK:   %[[C64:.*]] = arith.index_cast %[[C]] : index to i64
// CHECK:   %[[HIT:.*]] = arith.cmpi eq, %[[C64]], %{{.*}} : i64
// CHECK:   arith.select %[[HIT]]
// Rows whose label is the ignore index (-100 unless given) count neither
// in the sum nor in the divisor, which is the number of counted rows.
// CHECK: %[[TOTAL:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[MAX]], %[[SUM]], %[[PICK]], %[[L]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>) outs(%{{.*}} : tensor<f32>)
// CHECK:   math.log
// CHECK:   %[[IGNORE:.*]] = arith.constant -100 : i64
// CHECK:   %[[KEPT:.*]] = arith.cmpi ne, %{{.*}}, %[[IGNORE]] : i64
// CHECK:   arith.select %[[KEPT]]
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[L]] : tensor<4xi64>) outs(%{{.*}} : tensor<f32>)
// CHECK:   arith.constant -100 : i64
// CHECK:   arith.cmpi ne
// CHECK:   arith.constant 1.000000e+00 : f32
// CHECK: linalg.generic {{.*}} ins(%[[TOTAL]], %[[ROWS]] : tensor<f32>, tensor<f32>)
// CHECK:   arith.divf
func.func @cross_entropy(%x: tensor<4x3xf32>, %l: tensor<4xi64>) -> tensor<f32> {
  %0 = nn.cross_entropy %x, %l : tensor<4x3xf32>, tensor<4xi64>
  return %0 : tensor<f32>
}

// -----

// Another ignore index, here a class.
// CHECK-LABEL: func @cross_entropy_ignore
// CHECK: arith.constant 2 : i64
// CHECK-NOT: arith.constant -100
// CHECK: return
func.func @cross_entropy_ignore(%x: tensor<4x3xf32>, %l: tensor<4xi64>) -> tensor<f32> {
  %0 = nn.cross_entropy %x, %l {ignore_index = 2 : i64} : tensor<4x3xf32>, tensor<4xi64>
  return %0 : tensor<f32>
}

// -----

// Its gradient: the row statistics and the number M of rows not ignored,
// then one parallel pass computing (exp(x - max) / sum - onehot) * dloss / M
// (0 for an ignored row).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func @cross_entropy_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[L:.*]]: tensor<4xi64>, %[[D:.*]]: tensor<f32>)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x3xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] : tensor<4x3xf32>, tensor<4xf32>)
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}} ins(%[[L]] : tensor<4xi64>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ROW]], #[[SCALAR]], #[[SCALAR]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]], %[[SUM]], %[[L]], %[[D]], %[[ROWS]] : tensor<4x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<f32>, tensor<f32>)
// CHECK:   math.exp
// CHECK:   arith.divf
// CHECK:   arith.cmpi eq
// CHECK:   arith.divf
// CHECK:   arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.cmpi ne
// CHECK:   arith.select
func.func @cross_entropy_grad(%x: tensor<4x3xf32>, %l: tensor<4xi64>, %d: tensor<f32>) -> tensor<4x3xf32> {
  %0 = nn.cross_entropy_grad %x, %l, %d : tensor<4x3xf32>, tensor<4xi64>, tensor<f32>
  return %0 : tensor<4x3xf32>
}

// -----

// The products of matmul and linear carry nn.contraction (which operand is
// stored transposed) for pareprop-contractions-to-runtime; a linear of a
// vector does not.
func.func @contraction_tags(%a: tensor<2x3x4xf32>, %b: tensor<2x5x4xf32>, %x: tensor<7x4xf32>, %w: tensor<6x4xf32>, %v: tensor<4xf32>) -> (tensor<2x3x5xf32>, tensor<7x6xf32>, tensor<6xf32>) {
  %0 = nn.matmul %a, %b {transpose_rhs} : tensor<2x3x4xf32>, tensor<2x5x4xf32>
  %1 = nn.linear %x, %w : tensor<7x4xf32>, tensor<6x4xf32>
  %2 = nn.linear %v, %w : tensor<4xf32>, tensor<6x4xf32>
  return %0, %1, %2 : tensor<2x3x5xf32>, tensor<7x6xf32>, tensor<6xf32>
}
// CHECK-LABEL: func.func @contraction_tags(
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<2x5x4xf32>) {{.*}}attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>}
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<7x4xf32>, tensor<6x4xf32>) {{.*}}attrs = {nn.contraction = #nn.contraction<transpose_rhs = true>}
// CHECK: linalg.generic
// CHECK-NOT: nn.contraction
// CHECK: return
