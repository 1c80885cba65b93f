// A loss with no reversible block: the passes must still load their dialects.
func.func @plain(%x: tensor<3x5xf64>, %w: tensor<5x2xf64>) -> tensor<f64> {
  %h = nn.matmul %x, %w : tensor<3x5xf64>, tensor<5x2xf64>
  %t = nn.tanh %h : tensor<3x2xf64>
  %l = nn.mean %t dims [0, 1] : tensor<3x2xf64>
  return %l : tensor<f64>
}
