// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// layer_norm as a row kernel: the leading dimensions collapse into rows, one
// scf.forall over them writes the row and its two statistics; per row, two
// passes for the mean and the squared deviations (reassociable sums, so
// they vectorize) and one for the result, which reads gamma and beta.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x7xf32>, %[[G:.*]]: tensor<7xf32>, %[[B:.*]]: tensor<7xf32>)
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x3x7xf32> into tensor<6x7xf32>
// CHECK:         %[[R:.*]]:3 = scf.forall (%[[I:.*]]) in (6) shared_outs(%[[Y:.*]] = %{{.*}}, %[[MEAN:.*]] = %{{.*}}, %[[RSTD:.*]] = %{{.*}}) -> (tensor<6x7xf32>, tensor<6xf32>, tensor<6xf32>)
// CHECK:           %[[YROW:.*]] = tensor.extract_slice %[[Y]][%[[I]], 0] [1, 7] [1, 1] : tensor<6x7xf32> to tensor<7xf32>
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} -> (f32)
// CHECK:             tensor.extract %[[ROWS]][%[[I]], %{{.*}}]
// CHECK:             arith.addf {{.*}} fastmath<reassoc>
// CHECK:           %[[M:.*]] = arith.divf %[[SUM]]
// CHECK:           scf.for {{.*}} -> (f32)
// CHECK:             arith.subf %{{.*}}, %[[M]]
// CHECK:             arith.addf {{.*}} fastmath<reassoc>
// CHECK:           math.sqrt
// CHECK:           %[[OUT:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[YROW]]) -> (tensor<7xf32>)
// CHECK-DAG:         tensor.extract %[[G]]
// CHECK-DAG:         tensor.extract %[[B]]
// CHECK:             tensor.insert %{{.*}} into %[[ACC]]
// CHECK:           tensor.insert %[[M]] into
// CHECK:           scf.forall.in_parallel {
// CHECK-NEXT:        tensor.parallel_insert_slice %[[OUT]] into %[[Y]][%[[I]], 0] [1, 7] [1, 1]
// CHECK-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[MEAN]][%[[I]]] [1] [1]
// CHECK-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[RSTD]][%[[I]]] [1] [1]
// CHECK:         tensor.expand_shape %[[R]]#0 {{\[\[}}0, 1], [2]] output_shape [2, 3, 7]
// CHECK:         tensor.expand_shape %[[R]]#1 {{\[\[}}0, 1]] output_shape [2, 3]
// CHECK:         tensor.expand_shape %[[R]]#2 {{\[\[}}0, 1]] output_shape [2, 3]
// CHECK-NOT:     linalg.generic
func.func @layer_norm(%x: tensor<2x3x7xf32>, %g: tensor<7xf32>, %b: tensor<7xf32>) -> (tensor<2x3x7xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0:3 = nn.layer_norm %x, %g, %b : tensor<2x3x7xf32>, tensor<7xf32>
  return %0#0, %0#1, %0#2 : tensor<2x3x7xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// One row (rank 1): one iteration, statistics of rank 0.
// CHECK-LABEL: func.func @layer_norm_vector
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 5] : tensor<5xf64> into tensor<1x5xf64>
// CHECK:         scf.forall (%{{.*}}) in (1)
// CHECK:         tensor.collapse_shape %{{.*}}#0 {{\[\[}}0, 1]] : tensor<1x5xf64> into tensor<5xf64>
// CHECK:         tensor.collapse_shape %{{.*}}#1 [] : tensor<1xf64> into tensor<f64>
func.func @layer_norm_vector(%x: tensor<5xf64>, %g: tensor<5xf64>, %b: tensor<5xf64>) -> (tensor<5xf64>, tensor<f64>, tensor<f64>) {
  %0:3 = nn.layer_norm %x, %g, %b : tensor<5xf64>, tensor<5xf64>
  return %0#0, %0#1, %0#2 : tensor<5xf64>, tensor<f64>, tensor<f64>
}

// -----

// softmax of attention scores [batch, heads, queries, keys]: rows are
// batch x heads x queries. Per row: the maximum, then exp(x - max) written
// into the output row and summed in the same loop, then the row divided by
// its sum in place. No temporary holds the exponentials.
// CHECK-LABEL: func.func @softmax
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2], [3]] : tensor<2x3x4x5xf32> into tensor<24x5xf32>
// CHECK:         scf.forall (%[[I:.*]]) in (24) shared_outs(%[[Y:.*]] = %{{.*}}) -> (tensor<24x5xf32>)
// CHECK:           %[[YROW:.*]] = tensor.extract_slice %[[Y]][%[[I]], 0] [1, 5] [1, 1]
// CHECK:           %[[MAX:.*]] = scf.for
// CHECK:             arith.maximumf {{.*}} fastmath<reassoc>
// CHECK:           %[[E:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %[[ACC:.*]] = %[[YROW]]) -> (f32, tensor<5xf32>)
// CHECK:             %[[D:.*]] = arith.subf %{{.*}}, %[[MAX]]
// CHECK:             %[[EXP:.*]] = math.exp %[[D]]
// CHECK:             arith.addf {{.*}} fastmath<reassoc>
// CHECK:             tensor.insert %[[EXP]] into %[[ACC]]
// CHECK:           scf.for {{.*}} iter_args(%[[ACC2:.*]] = %[[E]]#1)
// CHECK:             %[[V:.*]] = tensor.extract %[[ACC2]]
// CHECK:             arith.divf %[[V]], %[[E]]#0
// CHECK:         tensor.expand_shape {{.*}} output_shape [2, 3, 4, 5]
// CHECK-NOT:     tensor.empty() : tensor<24x5xf32>
// CHECK:         return
func.func @softmax(%x: tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %0 = nn.softmax %x dim 3 : tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}
