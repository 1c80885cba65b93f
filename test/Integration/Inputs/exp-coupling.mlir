// F uses math.exp, which PaReprop has no gradient rule for; the consumer
// attaches one from outside.
func.func private @F(%x: tensor<4x6xf32>, %w: tensor<6x6xf32>) -> tensor<4x6xf32> {
  %h = nn.matmul %x, %w : tensor<4x6xf32>, tensor<6x6xf32>
  %s = nn.scale %h by 0.1 : tensor<4x6xf32>
  %e = math.exp %s : tensor<4x6xf32>
  return %e : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>, %wf: tensor<6x6xf32>, %wg: tensor<6x6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%wf : tensor<6x6xf32>) g @F(%wg : tensor<6x6xf32>) : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.mean %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}
