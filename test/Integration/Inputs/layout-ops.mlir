// Slicing and concatenation (PyTorch's x[..., a:b], chunk / split / unbind
// and cat), in f64 on shapes that are not multiples of 8, inside coupling
// functions and around the reversible blocks. finite-differences-ops.test
// checks each gradient rule against finite differences.

func.func private @G(%x: tensor<2x5x7xf64>) -> tensor<2x5x7xf64> {
  %t = nn.tanh %x : tensor<2x5x7xf64>
  return %t : tensor<2x5x7xf64>
}

// F: split the features unevenly (split([2, 4, 1])), transform two pieces,
// and put them back in another order with a concat of three operands.
func.func private @F_split(%x: tensor<2x5x7xf64>, %w: tensor<4x4xf64>, %v: tensor<2xf64>) -> tensor<2x5x7xf64> {
  %a = nn.slice %x offsets [0, 0, 0] sizes [2, 5, 2] : tensor<2x5x7xf64>
  %b = nn.slice %x offsets [0, 0, 2] sizes [2, 5, 4] : tensor<2x5x7xf64>
  %c = nn.slice %x offsets [0, 0, 6] sizes [2, 5, 1] : tensor<2x5x7xf64>
  %bw = nn.linear %b, %w : tensor<2x5x4xf64>, tensor<4x4xf64>
  %bt = nn.tanh %bw : tensor<2x5x4xf64>
  %av = nn.mul %a, %v : tensor<2x5x2xf64>, tensor<2xf64>
  %o = nn.concat %bt, %c, %av dim 2 : tensor<2x5x4xf64>, tensor<2x5x1xf64>, tensor<2x5x2xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_split(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %w: tensor<4x4xf64>, %v: tensor<2xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_split(%w, %v : tensor<4x4xf64>, tensor<2xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// F: a window along the sequence (a middle dimension, nonzero offset)
// mixed back in by concatenation along the sequence, with a one-operand
// concat (torch.cat of a single tensor) in between.
func.func private @F_window(%x: tensor<2x5x7xf64>, %w: tensor<7x7xf64>) -> tensor<2x5x7xf64> {
  %mid = nn.slice %x offsets [0, 1, 0] sizes [2, 3, 7] : tensor<2x5x7xf64>
  %h = nn.linear %mid, %w : tensor<2x3x7xf64>, tensor<7x7xf64>
  %one = nn.concat %h dim 1 : tensor<2x3x7xf64>
  %edge = nn.slice %x offsets [0, 3, 0] sizes [2, 2, 7] : tensor<2x5x7xf64>
  %g = nn.gelu %edge : tensor<2x2x7xf64>
  %o = nn.concat %g, %one dim 1 : tensor<2x2x7xf64>, tensor<2x3x7xf64>
  return %o : tensor<2x5x7xf64>
}
func.func @loss_window(%x1: tensor<2x5x7xf64>, %x2: tensor<2x5x7xf64>, %w: tensor<7x7xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F_window(%w : tensor<7x7xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %p = nn.mul %y1, %y2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %l = nn.mean %p dims [0, 1, 2] : tensor<2x5x7xf64>
  return %l : tensor<f64>
}

// Around the blocks, as a RevViT: chunk(2, dim=-1) of the embedded input
// into the two streams, cat([y1, y2], dim=-1) of the outputs, and
// unbind-like slices of single tokens (reshaped) concatenated along the
// batch dimension into the head.
func.func @loss_streams(%x: tensor<2x5x14xf64>, %w_in: tensor<14x14xf64>, %w: tensor<4x4xf64>, %v: tensor<2xf64>, %head: tensor<3x14xf64>) -> tensor<f64> {
  %e = nn.linear %x, %w_in : tensor<2x5x14xf64>, tensor<14x14xf64>
  %x1 = nn.slice %e offsets [0, 0, 0] sizes [2, 5, 7] : tensor<2x5x14xf64>
  %x2 = nn.slice %e offsets [0, 0, 7] sizes [2, 5, 7] : tensor<2x5x14xf64>
  %y1, %y2 = rev.block(%x1, %x2) f @F_split(%w, %v : tensor<4x4xf64>, tensor<2xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %z1, %z2 = rev.block(%y1, %y2) f @F_split(%w, %v : tensor<4x4xf64>, tensor<2xf64>) g @G() : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %y = nn.concat %z1, %z2 dim 2 : tensor<2x5x7xf64>, tensor<2x5x7xf64>
  %t0 = nn.slice %y offsets [0, 0, 0] sizes [2, 1, 14] : tensor<2x5x14xf64>
  %t4 = nn.slice %y offsets [0, 4, 0] sizes [2, 1, 14] : tensor<2x5x14xf64>
  %r0 = nn.reshape %t0 : tensor<2x1x14xf64> -> tensor<2x14xf64>
  %r4 = nn.reshape %t4 : tensor<2x1x14xf64> -> tensor<2x14xf64>
  %both = nn.concat %r0, %r4 dim 0 : tensor<2x14xf64>, tensor<2x14xf64>
  %o = nn.linear %both, %head : tensor<4x14xf64>, tensor<3x14xf64>
  %s = nn.tanh %o : tensor<4x3xf64>
  %q = nn.mul %s, %o : tensor<4x3xf64>, tensor<4x3xf64>
  %l = nn.mean %q dims [0, 1] : tensor<4x3xf64>
  return %l : tensor<f64>
}
