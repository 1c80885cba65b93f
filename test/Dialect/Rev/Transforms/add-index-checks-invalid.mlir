// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -rev-add-index-checks

// The check's name is taken.
// expected-error@+1 {{rev-add-index-checks: cannot add @loss_check_indices (a symbol of that name exists)}}
func.func @loss(%ids: tensor<2xi64>, %table: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %e = nn.embedding %ids, %table : tensor<2xi64>, tensor<4x3xf32>
  return %e : tensor<2x3xf32>
}
func.func private @loss_check_indices() {
  return
}
