// RUN: pareprop-opt %s -split-input-file -rev-add-index-checks | FileCheck %s

// Ids reaching nn.embedding directly and through a call, labels reaching
// nn.cross_entropy: one check each, in the order of their uses, with the
// table's rows and the logits' classes as bounds. The same use twice (the
// call's embedding has the same bound) is one check.
// CHECK-LABEL: func.func @loss(
// CHECK-SAME: rev.index_checks = {checks = [{arg = 0 : i64, bound = 7 : i64, what = "ids of nn.embedding at {{.*}}add-index-checks.mlir:{{[0-9]+}}:{{[0-9]+}}"}, {arg = 1 : i64, bound = 3 : i64, ignore_index = 5 : i64, what = "labels of nn.cross_entropy at {{.*}}"}], func = @loss_check_indices}
// The check takes the function's arguments and returns six i64.
// CHECK-LABEL: func.func @loss_check_indices(
// CHECK-SAME: %[[IDS:[^:]*]]: tensor<4xi64>, %[[LABELS:[^:]*]]: tensor<4xi64>
// CHECK-SAME: -> tensor<6xi64>
// CHECK: %[[NONE:.*]] = arith.constant -1 : i64
// Ids: one loop, out of range below 0 or at 7 and above.
// CHECK: %[[I:.*]]:6 = scf.for {{.*}} iter_args(%{{[^ ]*}} = %[[NONE]], {{.*}})
// CHECK: %[[X:.*]] = tensor.extract %[[IDS]]
// CHECK: arith.cmpi slt, %[[X]], %c0_i64
// CHECK: arith.constant 7 : i64
// CHECK: arith.cmpi sge, %[[X]]
// Only the first bad index is kept.
// CHECK: arith.cmpi eq, %{{.*}}, %c-1
// The minimum int64 marks a check without an ignore index.
// CHECK: arith.constant -9223372036854775808 : i64
// CHECK-COUNT-6: arith.select
// Labels: may be the ignore index; the search goes on from the ids' state.
// CHECK: %[[L:.*]]:6 = scf.for {{.*}} iter_args(%{{[^ ]*}} = %[[I]]#0,
// CHECK: %[[Y:.*]] = tensor.extract %[[LABELS]]
// CHECK: arith.constant 5 : i64
// CHECK: arith.cmpi ne, %[[Y]]
// CHECK: %[[R:.*]] = tensor.from_elements %[[L]]#0, %[[L]]#1, %[[L]]#2, %[[L]]#3, %[[L]]#4, %[[L]]#5
// CHECK: return %[[R]]
func.func private @embed(%ids: tensor<4xi64>, %table: tensor<7x3xf32>) -> tensor<4x3xf32> {
  %e = nn.embedding %ids, %table : tensor<4xi64>, tensor<7x3xf32>
  return %e : tensor<4x3xf32>
}
func.func @loss(%ids: tensor<4xi64>, %labels: tensor<4xi64>, %table: tensor<7x3xf32>) -> tensor<f32> {
  %e = nn.embedding %ids, %table : tensor<4xi64>, tensor<7x3xf32>
  %c = func.call @embed(%ids, %table) : (tensor<4xi64>, tensor<7x3xf32>) -> tensor<4x3xf32>
  %s = nn.add %e, %c : tensor<4x3xf32>, tensor<4x3xf32>
  %l = nn.cross_entropy %s, %labels {ignore_index = 5 : i64} : tensor<4x3xf32>, tensor<4xi64>
  return %l : tensor<f32>
}

// -----

// Ids that are not an argument (computed in the model) and private
// functions get no check; neither does an empty argument.
// CHECK-LABEL: func.func @computed(
// CHECK-NOT: rev.index_checks
// CHECK-NOT: func.func @computed_check_indices
// CHECK-NOT: func.func @helper_check_indices
// CHECK-NOT: func.func @empty_check_indices
func.func @computed(%table: tensor<7x3xf32>) -> tensor<2x3xf32> {
  %ids = arith.constant dense<[1, 2]> : tensor<2xi64>
  %e = nn.embedding %ids, %table : tensor<2xi64>, tensor<7x3xf32>
  return %e : tensor<2x3xf32>
}
func.func private @helper(%ids: tensor<2xi64>, %table: tensor<7x3xf32>) -> tensor<2x3xf32> {
  %e = nn.embedding %ids, %table : tensor<2xi64>, tensor<7x3xf32>
  return %e : tensor<2x3xf32>
}
func.func @empty(%ids: tensor<0xi64>, %table: tensor<7x3xf32>) -> tensor<0x3xf32> {
  %e = nn.embedding %ids, %table : tensor<0xi64>, tensor<7x3xf32>
  return %e : tensor<0x3xf32>
}

// -----

// Ids passed through a rev.block into G are checked against G's table.
// CHECK-LABEL: func.func @blocks(
// CHECK-SAME: rev.index_checks = {checks = [{arg = 1 : i64, bound = 9 : i64, what = "ids of nn.embedding at {{.*}}"}]
func.func private @F(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %t = nn.tanh %x : tensor<2x4xf32>
  return %t : tensor<2x4xf32>
}
func.func private @G(%x: tensor<2x4xf32>, %ids: tensor<2xi64>, %types: tensor<9x4xf32>) -> tensor<2x4xf32> {
  %e = nn.embedding %ids, %types : tensor<2xi64>, tensor<9x4xf32>
  %o = nn.add %x, %e : tensor<2x4xf32>, tensor<2x4xf32>
  return %o : tensor<2x4xf32>
}
func.func @blocks(%x: tensor<2x4xf32>, %ids: tensor<2xi64>, %types: tensor<9x4xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @G(%ids, %types : tensor<2xi64>, tensor<9x4xf32>) : tensor<2x4xf32>, tensor<2x4xf32>
  %s = nn.add %y1, %y2 : tensor<2x4xf32>, tensor<2x4xf32>
  %l = nn.sum %s dims [0, 1] : tensor<2x4xf32>
  return %l : tensor<f32>
}
