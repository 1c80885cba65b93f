// A token classifier with integer inputs, in f64: token and position
// embeddings, two reversible blocks, a [CLS]-style slice of the first token
// and a cross-entropy loss against class labels. %ids and %labels are i64
// tensors: they get no gradient, and `rev.index_bound = B` tells a runner
// to draw them from [0, B). G also takes %ids as a parameter (a token-type
// embedding added to its output), so an integer tensor flows through
// rev.block, rev.recompute and rev.grad. Used by index-ops.test.

// F: pre-LayerNorm linear and tanh; the embedding table of the whole
// sequence mixes into the first half through nn.concat / nn.slice.
func.func private @F(%x: tensor<2x5x8xf64>, %g: tensor<8xf64>, %b: tensor<8xf64>, %w: tensor<8x8xf64>) -> tensor<2x5x8xf64> {
  %h, %mean, %rstd = nn.layer_norm %x, %g, %b : tensor<2x5x8xf64>, tensor<8xf64>
  %l = nn.linear %h, %w : tensor<2x5x8xf64>, tensor<8x8xf64>
  %t = nn.tanh %l : tensor<2x5x8xf64>
  %lo = nn.slice %t offsets [0, 0, 0] sizes [2, 5, 3] : tensor<2x5x8xf64>
  %hi = nn.slice %t offsets [0, 0, 3] sizes [2, 5, 5] : tensor<2x5x8xf64>
  %s = nn.scale %hi by 0.5 : tensor<2x5x5xf64>
  %o = nn.concat %s, %lo dim 2 : tensor<2x5x5xf64>, tensor<2x5x3xf64>
  return %o : tensor<2x5x8xf64>
}

// G: linear, GELU, plus a token-type embedding of the block's own ids.
func.func private @G(%x: tensor<2x5x8xf64>, %w: tensor<8x8xf64>, %ids: tensor<2x5xi64>, %types: tensor<11x8xf64>) -> tensor<2x5x8xf64> {
  %l = nn.linear %x, %w : tensor<2x5x8xf64>, tensor<8x8xf64>
  %a = nn.gelu %l {approximate = "tanh"} : tensor<2x5x8xf64>
  %e = nn.embedding %ids, %types : tensor<2x5xi64>, tensor<11x8xf64>
  %o = nn.add %a, %e : tensor<2x5x8xf64>, tensor<2x5x8xf64>
  return %o : tensor<2x5x8xf64>
}

func.func @loss(%ids: tensor<2x5xi64> {rev.no_grad, rev.index_bound = 11 : i64}, %labels: tensor<2xi64> {rev.no_grad, rev.index_bound = 3 : i64}, %table: tensor<11x8xf64>, %pos: tensor<5x8xf64>, %g0: tensor<8xf64>, %b0: tensor<8xf64>, %f0: tensor<8x8xf64>, %w0: tensor<8x8xf64>, %g1: tensor<8xf64>, %b1: tensor<8xf64>, %f1: tensor<8x8xf64>, %w1: tensor<8x8xf64>, %types: tensor<11x8xf64>, %head: tensor<3x8xf64>, %hb: tensor<3xf64>) -> tensor<f64> {
  %e = nn.embedding %ids, %table : tensor<2x5xi64>, tensor<11x8xf64>
  %x = nn.add %e, %pos : tensor<2x5x8xf64>, tensor<5x8xf64>
  %y1, %y2 = rev.block(%x, %x) f @F(%g0, %b0, %f0 : tensor<8xf64>, tensor<8xf64>, tensor<8x8xf64>) g @G(%w0, %ids, %types : tensor<8x8xf64>, tensor<2x5xi64>, tensor<11x8xf64>) : tensor<2x5x8xf64>, tensor<2x5x8xf64>
  %z1, %z2 = rev.block(%y1, %y2) f @F(%g1, %b1, %f1 : tensor<8xf64>, tensor<8xf64>, tensor<8x8xf64>) g @G(%w1, %ids, %types : tensor<8x8xf64>, tensor<2x5xi64>, tensor<11x8xf64>) : tensor<2x5x8xf64>, tensor<2x5x8xf64>
  %s = nn.add %z1, %z2 : tensor<2x5x8xf64>, tensor<2x5x8xf64>
  %first = nn.slice %s offsets [0, 0, 0] sizes [2, 1, 8] : tensor<2x5x8xf64>
  %cls = nn.reshape %first : tensor<2x1x8xf64> -> tensor<2x8xf64>
  %logits = nn.linear %cls, %head, %hb : tensor<2x8xf64>, tensor<3x8xf64>, tensor<3xf64>
  %l = nn.cross_entropy %logits, %labels : tensor<2x3xf64>, tensor<2xi64>
  return %l : tensor<f64>
}
