// One loss per gradient rule of the transformer ops, in f64 with shapes that
// are not multiples of 8 (finite-differences-ops.test). Each puts the op in F
// of a reversible block, so the rule runs in the saving forward, the
// recomputation and the VJP; G is a fixed nonlinearity.

func.func private @G(%x: tensor<2x5x7xf64>) -> tensor<2x5x7xf64> {
  %t = nn.tanh %x : tensor<2x5x7xf64>
  return %t : tensor<2x5x7xf64>
}

// linear with and without bias, rank-3 input, GELU (tanh form) between.
func.func private @F_linear(%x: tensor<2x5x7xf64>, %w1: tensor<9x7xf64>, %b1: tensor<9xf64>, %w2: tensor<7x9xf64>) -> tensor<2x5x7xf64> {
  %h = nn.linear %x, %w1, %b1 : tensor<2x5x7xf64>, tensor<9x7xf64>, tensor<9xf64>
  %a = nn.gelu %h {approximate = "tanh"} : tensor<2x5x9xf64>
  %o = nn.linear %a, %w2 : tensor<2x5x9xf64>, tensor<7x9xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_linear(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %w1: tensor<9x7xf64>, %b1: tensor<9xf64>, %w2: tensor<7x9xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_linear(%w1, %b1, %w2 : tensor<9x7xf64>, tensor<9xf64>, tensor<7x9xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// Batched matmul in all four transpose combinations.
func.func private @F_matmul(%x: tensor<2x5x7xf64>, %p: tensor<2x7x5xf64>, %q: tensor<2x7x7xf64>) -> tensor<2x5x7xf64> {
  %m1 = nn.matmul %x, %p : tensor<2x5x7xf64>, tensor<2x7x5xf64>
  %m2 = nn.matmul %m1, %x {transpose_lhs} : tensor<2x5x5xf64>, tensor<2x5x7xf64>
  %m3 = nn.matmul %x, %q {transpose_rhs} : tensor<2x5x7xf64>, tensor<2x7x7xf64>
  %m4 = nn.matmul %m1, %p {transpose_lhs, transpose_rhs} : tensor<2x5x5xf64>, tensor<2x7x5xf64>
  %s1 = nn.add %m2, %m3 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %s2 = nn.add %s1, %m4 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %o = nn.scale %s2 by 0.3 : tensor<2x5x7xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_matmul(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %p: tensor<2x7x5xf64>, %q: tensor<2x7x7xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_matmul(%p, %q : tensor<2x7x5xf64>, tensor<2x7x7xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p2 = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p2 dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// LayerNorm with affine parameters, its output multiplied by its input so
// the input gradient has both paths.
func.func private @F_layer_norm(%x: tensor<2x5x7xf64>, %g: tensor<7xf64>, %b: tensor<7xf64>) -> tensor<2x5x7xf64> {
  %y, %mean, %rstd = nn.layer_norm %x, %g, %b : tensor<2x5x7xf64>, tensor<7xf64>
  %o = nn.mul %y, %x : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_layer_norm(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %g: tensor<7xf64>, %b: tensor<7xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_layer_norm(%g, %b : tensor<7xf64>, tensor<7xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// Softmax of a broadcast product (a [5, 1] parameter against [2, 5, 7]),
// weighted so that the loss depends on more than the row sums.
func.func private @F_softmax(%x: tensor<2x5x7xf64>, %w: tensor<5x1xf64>, %v: tensor<7xf64>) -> tensor<2x5x7xf64> {
  %s = nn.mul %x, %w : tensor<2x5x7xf64>, tensor<5x1xf64>
  %p = nn.softmax %s dim -1 : tensor<2x5x7xf64>
  %o = nn.mul %p, %v : tensor<2x5x7xf64>, tensor<7xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_softmax(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %w: tensor<5x1xf64>, %v: tensor<7xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_softmax(%w, %v : tensor<5x1xf64>, tensor<7xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// Reshapes and permutations: the multi-head split and merge pattern, plus a
// 3-D rotation of dimensions around a broadcast product.
func.func private @F_layout(%x: tensor<2x5x7xf64>, %w: tensor<7x7xf64>, %v: tensor<2x5xf64>) -> tensor<2x5x7xf64> {
  %h = nn.linear %x, %w : tensor<2x5x7xf64>, tensor<7x7xf64>
  %r = nn.reshape %h : tensor<2x5x7xf64> -> tensor<7x10xf64>
  %t = nn.transpose %r perm [1, 0] : tensor<7x10xf64>
  %a = nn.tanh %t : tensor<10x7xf64>
  %t2 = nn.transpose %a perm [1, 0] : tensor<10x7xf64>
  %r2 = nn.reshape %t2 : tensor<7x10xf64> -> tensor<2x5x7xf64>
  %p = nn.transpose %r2 perm [2, 0, 1] : tensor<2x5x7xf64>
  %m = nn.mul %p, %v : tensor<7x2x5xf64>, tensor<2x5xf64>
  %o = nn.transpose %m perm [1, 2, 0] : tensor<7x2x5xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_layout(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %w: tensor<7x7xf64>, %v: tensor<2x5xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_layout(%w, %v : tensor<7x7xf64>, tensor<2x5xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// Dropout keyed per block, in F and in the non-reversible prefix.
func.func private @F_dropout(%x: tensor<2x5x7xf64>, %w: tensor<7x7xf64>, %key: i64) -> tensor<2x5x7xf64> {
  %h = nn.linear %x, %w : tensor<2x5x7xf64>, tensor<7x7xf64>
  %a = nn.tanh %h : tensor<2x5x7xf64>
  %d = nn.dropout %a, %key {rate = 0.3 : f64} : tensor<2x5x7xf64>
  return %d : tensor<2x5x7xf64>
}
func.func @loss_dropout(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %seed: i64, %w0: tensor<7x7xf64>, %w1: tensor<7x7xf64>) -> tensor<f64> {
  %k = nn.fold_key %seed, 0
  %k0 = nn.fold_key %seed, 1
  %k1 = nn.fold_key %seed, 2
  %x1d = nn.dropout %x1, %k {rate = 0.5 : f64, id = 7 : i64} : tensor<2x5x7xf64>
  %y1, %y2 = rev.block(%x1d, %x2) f @F_dropout(%w0, %k0 : tensor<7x7xf64>, i64) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %z1, %z2 = rev.block(%y1, %y2) f @F_dropout(%w1, %k1 : tensor<7x7xf64>, i64) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %z1, %z2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}
