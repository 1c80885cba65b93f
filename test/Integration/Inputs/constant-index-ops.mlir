// nn.embedding and nn.cross_entropy with ids and labels that are constants
// of the loss function, so every argument is a float tensor and
// pareprop-run can check the table and logit gradients against finite
// differences (finite-differences-ops.test) before it takes integer
// inputs. In f64, shapes not multiples of 8.

func.func private @G(%x: tensor<2x5x7xf64>) -> tensor<2x5x7xf64> {
  %t = nn.tanh %x : tensor<2x5x7xf64>
  return %t : tensor<2x5x7xf64>
}

// F adds a second embedding of constant ids: the VJP's scatter-add runs in
// the coupling's gradient, and the table is a block parameter.
func.func private @F_embed(%x: tensor<2x5x7xf64>, %types: tensor<3x7xf64>, %w: tensor<7x7xf64>) -> tensor<2x5x7xf64> {
  %ids = arith.constant dense<[[0, 2, 2, 1, 0], [1, 1, 1, 2, 0]]> : tensor<2x5xi64>
  %e = nn.embedding %ids, %types : tensor<2x5xi64>, tensor<3x7xf64>
  %h = nn.linear %x, %w : tensor<2x5x7xf64>, tensor<7x7xf64>
  %a = nn.mul %h, %e : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %o = nn.tanh %a : tensor<2x5x7xf64>
  return %o : tensor<2x5x7xf64>
}

// Token embeddings with repeated ids (their gradients accumulate), ids
// that no token uses (zero gradient rows) and out-of-range ids (-1 and 13
// read and update the clamped rows 0 and 10).
func.func @loss_embedding(%table: tensor<11x7xf64>, %pos: tensor<5x7xf64>, %types: tensor<3x7xf64>, %w: tensor<7x7xf64>) -> tensor<f64> {
  %ids = arith.constant dense<[[3, 7, 3, 3, 10], [-1, 0, 7, 13, 5]]> : tensor<2x5xi64>
  %e = nn.embedding %ids, %table : tensor<2x5xi64>, tensor<11x7xf64>
  %x = nn.add %e, %pos : tensor<2x5x7xf64>, tensor<5x7xf64>
  %y1, %y2 = rev.block(%x, %x) f @F_embed(%types, %w : tensor<3x7xf64>, tensor<7x7xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// Cross-entropy of a head over every token, [10, 4] logits, with labels
// of every class and one outside [0, 4) (no class selected).
func.func @loss_cross_entropy(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %w: tensor<7x7xf64>, %head: tensor<4x7xf64>, %hb: tensor<4xf64>) -> tensor<f64> {
  %labels = arith.constant dense<[0, 3, 1, 2, 3, 3, 0, 1, 6, 2]> : tensor<10xi64>
  %y1, %y2 = rev.block(%x1, %x2) f @F_mix(%w : tensor<7x7xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %s = nn.add %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %r = nn.reshape %s : tensor<2x5x7xf64> -> tensor<10x7xf64>
  %logits = nn.linear %r, %head, %hb : tensor<10x7xf64>, tensor<4x7xf64>, tensor<4xf64>
  %big = nn.scale %logits by 30.0 : tensor<10x4xf64>
  %l = nn.cross_entropy %big, %labels : tensor<10x4xf64>, tensor<10xi64>
  return %l : tensor<f64>
}
func.func private @F_mix(%x: tensor<2x5x7xf64>, %w: tensor<7x7xf64>) -> tensor<2x5x7xf64> {
  %h = nn.linear %x, %w : tensor<2x5x7xf64>, tensor<7x7xf64>
  %o = nn.tanh %h : tensor<2x5x7xf64>
  return %o : tensor<2x5x7xf64>
}
