// F takes an 8-wide input but the block's X2 is 6 wide.
func.func @F(%x: tensor<4x8xf32>, %w: tensor<8x6xf32>) -> tensor<4x6xf32> {
  %h = nn.matmul %x, %w : tensor<4x8xf32>, tensor<8x6xf32>
  return %h : tensor<4x6xf32>
}
func.func @G(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %t = nn.tanh %x : tensor<4x6xf32>
  return %t : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>, %w: tensor<8x6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%w : tensor<8x6xf32>) g @G() : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}
