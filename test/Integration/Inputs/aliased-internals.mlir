// F saves tanh(x) and a reshape of it (the matmul operand): its saving
// forward returns a buffer and a view of that buffer.
func.func @F(%x: tensor<2x6xf32>, %w: tensor<3x3xf32>) -> tensor<2x6xf32> {
  %h = nn.tanh %x : tensor<2x6xf32>
  %r = nn.reshape %h : tensor<2x6xf32> -> tensor<4x3xf32>
  %m = nn.matmul %r, %w : tensor<4x3xf32>, tensor<3x3xf32>
  %o = nn.reshape %m : tensor<4x3xf32> -> tensor<2x6xf32>
  return %o : tensor<2x6xf32>
}
func.func @loss(%x: tensor<2x6xf32>, %wf: tensor<3x3xf32>, %wg: tensor<3x3xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%wf : tensor<3x3xf32>) g @F(%wg : tensor<3x3xf32>) : tensor<2x6xf32>, tensor<2x6xf32>
  %z1, %z2 = rev.block(%y1, %y2) f @F(%wf : tensor<3x3xf32>) g @F(%wg : tensor<3x3xf32>) : tensor<2x6xf32>, tensor<2x6xf32>
  %l = nn.sum %z2 dims [0, 1] : tensor<2x6xf32>
  return %l : tensor<f32>
}
