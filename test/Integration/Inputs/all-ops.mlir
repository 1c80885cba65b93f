// Every gradient rule of the nn dialect on a path to the loss, in f64, with
// shapes that are not multiples of 8 and broadcasting of missing and size-1
// dimensions on either side.
func.func @F(%x: tensor<3x5xf64>, %w: tensor<5x7xf64>, %s: tensor<1x7xf64>, %v: tensor<7x5xf64>) -> tensor<3x5xf64> {
  %h = nn.matmul %x, %w : tensor<3x5xf64>, tensor<5x7xf64>
  %a = nn.mul %h, %s : tensor<3x7xf64>, tensor<1x7xf64>
  %g = nn.gelu %a {approximate = "tanh"} : tensor<3x7xf64>
  %e = nn.gelu %g : tensor<3x7xf64>
  %r = nn.relu %e : tensor<3x7xf64>
  %t = nn.tanh %r : tensor<3x7xf64>
  %o = nn.matmul %t, %v : tensor<3x7xf64>, tensor<7x5xf64>
  return %o : tensor<3x5xf64>
}
func.func @G(%x: tensor<3x5xf64>, %m: tensor<5x5xf64>, %c: tensor<5xf64>) -> tensor<3x5xf64> {
  %h = nn.matmul %x, %m {transpose_rhs} : tensor<3x5xf64>, tensor<5x5xf64>
  %d = nn.sub %c, %h : tensor<5xf64>, tensor<3x5xf64>
  %k = nn.scale %d by -0.75 : tensor<3x5xf64>
  %s = nn.sum %k dims [0] : tensor<3x5xf64>
  %b = nn.add %x, %s : tensor<3x5xf64>, tensor<5xf64>
  %q = nn.matmul %m, %b {transpose_lhs, transpose_rhs} : tensor<5x5xf64>, tensor<3x5xf64>
  %p = nn.matmul %q, %b : tensor<5x3xf64>, tensor<3x5xf64>
  %z = nn.matmul %x, %p : tensor<3x5xf64>, tensor<5x5xf64>
  %u = nn.scale %z by 0.01 : tensor<3x5xf64>
  return %u : tensor<3x5xf64>
}
func.func @loss(%x1: tensor<3x5xf64>, %x2: tensor<3x5xf64>, %w: tensor<5x7xf64>, %s: tensor<1x7xf64>, %v: tensor<7x5xf64>, %m: tensor<5x5xf64>, %c: tensor<5xf64>) -> tensor<f64> {
  %y1, %y2 = rev.block(%x1, %x2) f @F(%w, %s, %v : tensor<5x7xf64>, tensor<1x7xf64>, tensor<7x5xf64>) g @G(%m, %c : tensor<5x5xf64>, tensor<5xf64>) : tensor<3x5xf64>, tensor<3x5xf64>
  %z1, %z2 = rev.block(%y1, %y2) f @F(%w, %s, %v : tensor<5x7xf64>, tensor<1x7xf64>, tensor<7x5xf64>) g @G(%m, %c : tensor<5x5xf64>, tensor<5xf64>) : tensor<3x5xf64>, tensor<3x5xf64>
  %prod = nn.mul %z1, %z2 : tensor<3x5xf64>, tensor<3x5xf64>
  %rows = nn.mean %prod dims [1] : tensor<3x5xf64>
  %l = nn.sum %rows dims [0] : tensor<3xf64>
  return %l : tensor<f64>
}
