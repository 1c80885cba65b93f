// Two saved internals that CSE merges into one value (the same transpose
// taken twice, as a sequence-first attention takes q, k and v).
func.func private @F(%x: tensor<2x4x8xf32>, %w: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<2x4x8xf32> {
  %t = nn.transpose %x perm [1, 0, 2] : tensor<2x4x8xf32>
  %u = nn.transpose %t perm [1, 0, 2] : tensor<4x2x8xf32>
  %v = nn.transpose %t perm [1, 0, 2] : tensor<4x2x8xf32>
  %a = nn.linear %u, %w : tensor<2x4x8xf32>, tensor<8x8xf32>
  %b = nn.linear %v, %w2 : tensor<2x4x8xf32>, tensor<8x8xf32>
  %y = nn.add %a, %b : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}
func.func @loss(%x: tensor<2x4x8xf32> {rev.no_grad}, %wf: tensor<8x8xf32>, %wg: tensor<8x8xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%wf, %wg : tensor<8x8xf32>, tensor<8x8xf32>) g @F(%wg, %wf : tensor<8x8xf32>, tensor<8x8xf32>) : tensor<2x4x8xf32>, tensor<2x4x8xf32>
  %l = nn.sum %y2 dims [0, 1, 2] : tensor<2x4x8xf32>
  return %l : tensor<f32>
}
