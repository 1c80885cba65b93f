// The loss sums both outputs of a block separately: the seed gradient
// broadcasts to two identical tensors, which CSE merges inside one task,
// so that task yields the same value twice.
func.func @F(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> tensor<8x4xf32> {
  %r = nn.matmul %x, %w : tensor<8x4xf32>, tensor<4x4xf32>
  return %r : tensor<8x4xf32>
}
func.func @G(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = nn.gelu %x : tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}
func.func @loss(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%w : tensor<4x4xf32>) g @G() : tensor<8x4xf32>, tensor<8x4xf32>
  %l = nn.sum %y1 dims [0, 1] : tensor<8x4xf32>
  %m = nn.sum %y2 dims [0, 1] : tensor<8x4xf32>
  %s = nn.add %l, %m : tensor<f32>, tensor<f32>
  return %s : tensor<f32>
}
