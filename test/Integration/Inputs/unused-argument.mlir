// One output unused by the loss, one argument unused altogether (zero gradient).
func.func @F(%x: tensor<3x5xf32>, %w: tensor<5x5xf32>) -> tensor<3x5xf32> {
  %h = nn.matmul %x, %w : tensor<3x5xf32>, tensor<5x5xf32>
  %r = nn.relu %h : tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}
func.func @loss(%x: tensor<3x5xf32>, %w: tensor<5x5xf32>, %unused: tensor<7xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%w : tensor<5x5xf32>) g @F(%w : tensor<5x5xf32>) : tensor<3x5xf32>, tensor<3x5xf32>
  %l = nn.sum %y1 dims [0, 1] : tensor<3x5xf32>
  return %l : tensor<f32>
}
