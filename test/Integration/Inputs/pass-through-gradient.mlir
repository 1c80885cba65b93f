// F adds a bias and ignores its weight: its VJP returns the output gradient
// itself (an argument) and a zero constant for the weight, buffers the
// kernel does not own and must return as copies.
func.func @F(%x: tensor<6x4xf64>, %w: tensor<4x4xf64>, %b: tensor<4xf64>) -> tensor<6x4xf64> {
  %r = nn.add %x, %b : tensor<6x4xf64>, tensor<4xf64>
  return %r : tensor<6x4xf64>
}
func.func @G(%x: tensor<6x4xf64>) -> tensor<6x4xf64> {
  %r = nn.tanh %x : tensor<6x4xf64>
  return %r : tensor<6x4xf64>
}
func.func @loss(%x: tensor<6x4xf64>, %w: tensor<4x4xf64>, %b: tensor<4xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x, %x) f @F(%w, %b : tensor<4x4xf64>, tensor<4xf64>) g @G() : tensor<6x4xf64>, tensor<6x4xf64>
  %z1, %z2 = rev.block(%y1, %y2) f @F(%w, %b : tensor<4x4xf64>, tensor<4xf64>) g @G() : tensor<6x4xf64>, tensor<6x4xf64>
  %q = nn.mul %z2, %z2 : tensor<6x4xf64>, tensor<6x4xf64>
  %m = nn.mean %q dims [0, 1] : tensor<6x4xf64>
  return %m : tensor<f64>
}
