// RUN: pareprop-opt %s -split-input-file -rev-build-training-step | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -rev-build-training-step=mode=stored | FileCheck %s --check-prefix=STORED

// Two blocks sharing F and G: each is differentiated once. The saving
// forward keeps only what the rules read (tanh's output), the VJP reads it.

func.func @F(%x: tensor<4x6xf32>, %w: tensor<6x6xf32>) -> tensor<4x6xf32> {
  %h = nn.matmul %x, %w : tensor<4x6xf32>, tensor<6x6xf32>
  %a = nn.tanh %h : tensor<4x6xf32>
  return %a : tensor<4x6xf32>
}
func.func @G(%x: tensor<4x6xf32>, %b: tensor<6xf32>) -> tensor<4x6xf32> {
  %h = nn.add %x, %b : tensor<4x6xf32>, tensor<6xf32>
  return %h : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>, %t: tensor<4x6xf32> {rev.no_grad},
                %w0: tensor<6x6xf32>, %b0: tensor<6xf32>,
                %w1: tensor<6x6xf32>, %b1: tensor<6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%w0 : tensor<6x6xf32>) g @G(%b0 : tensor<6xf32>) : tensor<4x6xf32>, tensor<4x6xf32>
  %z1, %z2 = rev.block(%y1, %y2) f @F(%w1 : tensor<6x6xf32>) g @G(%b1 : tensor<6xf32>) : tensor<4x6xf32>, tensor<4x6xf32>
  %d = nn.sub %z2, %t : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %d dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func private @F__fwd
// CHECK-SAME: (%[[X:.*]]: tensor<4x6xf32>, %[[W:.*]]: tensor<6x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>)
// CHECK-SAME: rev.derived_from = @F
// CHECK:   %[[H:.*]] = nn.matmul %[[X]], %[[W]]
// CHECK:   %[[A:.*]] = nn.tanh %[[H]]
// CHECK:   return %[[A]], %[[A]]
// CHECK-LABEL: func.func private @F__vjp
// CHECK-SAME: (%[[X:.*]]: tensor<4x6xf32>, %[[W:.*]]: tensor<6x6xf32>, %[[SA:.*]]: tensor<4x6xf32>, %[[DY:.*]]: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<6x6xf32>)
// CHECK:   %[[DH:.*]] = nn.tanh_grad %[[SA]], %[[DY]]
// CHECK-DAG:   %[[DX:.*]] = nn.matmul %[[DH]], %[[W]] {transpose_rhs}
// CHECK-DAG:   %[[DW:.*]] = nn.matmul %[[X]], %[[DH]] {transpose_lhs}
// CHECK:   return %[[DX]], %[[DW]]
// CHECK-LABEL: func.func private @G__fwd
// CHECK-SAME: -> tensor<4x6xf32>
// CHECK-LABEL: func.func private @G__vjp
// CHECK:   nn.reduce_to %{{.*}} : tensor<4x6xf32> -> tensor<6xf32>
// CHECK-NOT: func.func private @F__fwd
// CHECK-NOT: func.func private @F__vjp

// Gradients of every argument but the rev.no_grad target, in order.
// CHECK-LABEL: func.func @loss_step
// CHECK-SAME: -> (tensor<f32>, tensor<4x6xf32>, tensor<6x6xf32>, tensor<6xf32>, tensor<6x6xf32>, tensor<6xf32>)
// CHECK-SAME: rev.grad_args = array<i64: 0, 2, 3, 4, 5>, rev.mode = "reversible", rev.training_step
// The forward keeps only the last outputs...
// CHECK:   %[[Y1:.*]], %[[Y2:.*]] = rev.block
// CHECK:   %[[Z1:.*]], %[[Z2:.*]] = rev.block(%[[Y1]], %[[Y2]])
// ...the last block rebuilds its inputs from its outputs...
// CHECK:   %[[X1B:.*]], %[[X2B:.*]], %[[SFB:.*]] = rev.recompute(%[[Z1]], %[[Z2]]) f @F__fwd(%{{.*}}) g @G__fwd(%{{.*}}) : tensor<4x6xf32>, tensor<4x6xf32> -> saved (tensor<4x6xf32>) ()
// CHECK:   rev.grad(%{{.*}}, %{{.*}}) at(%[[X2B]], %[[Z1]]) f @F__vjp(%{{.*}} : tensor<6x6xf32>) saved(%[[SFB]] : tensor<4x6xf32>) g @G__vjp
// ...and the first block rebuilds from the rebuilt ones, never from %Y1/%Y2.
// CHECK:   %[[X1A:.*]], %[[X2A:.*]], %[[SFA:.*]] = rev.recompute(%[[X1B]], %[[X2B]])
// CHECK:   rev.grad(%{{.*}}, %{{.*}}) at(%[[X2A]], %[[X1B]])
// CHECK-NOT: %[[Y1]]
// CHECK:   return

// Ordinary backprop: the saving forwards run in the forward pass and the
// gradients read their internals; nothing is recomputed.
// STORED-LABEL: func.func @loss_step
// STORED-SAME: rev.mode = "stored"
// STORED-NOT: rev.block
// STORED:   %[[F0:.*]]:2 = call @F__fwd
// STORED:   %[[Y1:.*]] = nn.add %{{.*}}, %[[F0]]#0
// STORED:   call @G__fwd(%[[Y1]]
// STORED:   call @F__fwd
// STORED:   call @G__fwd
// STORED-NOT: rev.recompute
// STORED:   rev.grad
// STORED:   rev.grad({{.*}}) at({{.*}}, %[[Y1]]) f @F__vjp({{.*}}) saved(%[[F0]]#1
// STORED-NOT: rev.recompute

// -----

// Ordinary ops before and after the stack, an argument feeding both halves
// (its gradient is summed), and an argument that reaches nothing.
func.func @F(%x: tensor<2x3xf64>) -> tensor<2x3xf64> {
  %r = nn.relu %x : tensor<2x3xf64>
  return %r : tensor<2x3xf64>
}
// CHECK-LABEL: func.func @loss_step
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf64>, %[[UNUSED:.*]]: tensor<3xf64>)
// CHECK: %[[G:.*]] = nn.gelu %[[X]]
// CHECK: rev.recompute
// CHECK: %[[DX1:.*]], %[[DX2:.*]] = rev.grad
// CHECK: %[[SUM:.*]] = nn.add %[[DX1]], %[[DX2]]
// CHECK: %[[DX:.*]] = nn.gelu_grad %[[X]], %[[SUM]]
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf64>
// CHECK: return %{{.*}}, %[[DX]], %[[ZERO]]
func.func @loss(%x: tensor<2x3xf64>, %unused: tensor<3xf64>) -> tensor<f64> {
  %g = nn.gelu %x : tensor<2x3xf64>
  %y1, %y2 = rev.block(%g, %g) f @F() g @F() : tensor<2x3xf64>, tensor<2x3xf64>
  %s = nn.mul %y1, %y2 : tensor<2x3xf64>, tensor<2x3xf64>
  %l = nn.mean %s dims [0, 1] : tensor<2x3xf64>
  return %l : tensor<f64>
}

// -----

// Attention internals: the saving forward returns exactly what the rules
// read beyond F's arguments. layer_norm: its row statistics (its input is
// F's argument); linear: the normalized input it multiplies; softmax: its
// output, not its input; dropout: nothing of its own (the mask is
// regenerated from the key; its output is kept because the next matmul
// reads it); the reshape/transpose views: nothing.

func.func @Attn(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %w: tensor<4x4xf32>, %key: i64) -> tensor<2x3x4xf32> {
  %h, %mean, %rstd = nn.layer_norm %x, %g, %b : tensor<2x3x4xf32>, tensor<4xf32>
  %q = nn.linear %h, %w : tensor<2x3x4xf32>, tensor<4x4xf32>
  %q4 = nn.reshape %q : tensor<2x3x4xf32> -> tensor<2x3x2x2xf32>
  %qh = nn.transpose %q4 perm [0, 2, 1, 3] : tensor<2x3x2x2xf32>
  %s = nn.matmul %qh, %qh {transpose_rhs} : tensor<2x2x3x2xf32>, tensor<2x2x3x2xf32>
  %p = nn.softmax %s dim 3 : tensor<2x2x3x3xf32>
  %pd = nn.dropout %p, %key {rate = 0.25 : f64} : tensor<2x2x3x3xf32>
  %o = nn.matmul %pd, %qh : tensor<2x2x3x3xf32>, tensor<2x2x3x2xf32>
  %o2 = nn.transpose %o perm [0, 2, 1, 3] : tensor<2x2x3x2xf32>
  %o3 = nn.reshape %o2 : tensor<2x3x2x2xf32> -> tensor<2x3x4xf32>
  return %o3 : tensor<2x3x4xf32>
}
func.func @Id(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  return %x : tensor<2x3x4xf32>
}
func.func @attention(%x: tensor<2x3x4xf32>, %seed: i64, %g: tensor<4xf32>, %b: tensor<4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> {
  %k = nn.fold_key %seed, 0
  %y1, %y2 = rev.block(%x, %x) f @Attn(%g, %b, %w, %k : tensor<4xf32>, tensor<4xf32>, tensor<4x4xf32>, i64) g @Id() : tensor<2x3x4xf32>, tensor<2x3x4xf32>
  %l = nn.sum %y2 dims [0, 1, 2] : tensor<2x3x4xf32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func private @Attn__fwd
// CHECK-SAME: -> (tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3x4xf32>, tensor<2x2x3x2xf32>, tensor<2x2x3x3xf32>, tensor<2x2x3x3xf32>)
// CHECK:   %[[H:.*]], %[[MEAN:.*]], %[[RSTD:.*]] = nn.layer_norm
// CHECK:   %[[QH:.*]] = nn.transpose
// CHECK:   %[[P:.*]] = nn.softmax
// CHECK:   %[[PD:.*]] = nn.dropout %[[P]]
// CHECK:   return %{{.*}}, %[[MEAN]], %[[RSTD]], %[[H]], %[[QH]], %[[P]], %[[PD]]
// The VJP takes the key back as F's argument and replays the mask on the
// gradient; the key's "gradient" is a zero placeholder.
// CHECK-LABEL: func.func private @Attn__vjp
// CHECK-SAME: %[[KEY:[^:]*]]: i64
// CHECK-SAME: -> (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4x4xf32>, i64)
// CHECK:   nn.dropout %{{.*}}, %[[KEY]] {rate = 2.500000e-01 : f64}
// CHECK:   %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK:   return {{.*}}, %[[ZERO]]
// The step differentiates only float arguments and keeps the key out.
// CHECK-LABEL: func.func @attention_step
// CHECK-SAME: -> (tensor<f32>, tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4x4xf32>)
// CHECK-SAME: rev.grad_args = array<i64: 0, 2, 3, 4>

// -----

// Integer tensors (token ids, labels) are constants of the differentiation,
// with or without rev.no_grad: %labels lacks it and still gets no gradient.
// An integer block parameter gets a zero placeholder from the VJP, which the
// step drops. The cross-entropy rule reads the logits and labels; the
// slice's gradient pads with zeros.

func.func @GE(%x: tensor<2x3x4xf32>, %ids: tensor<2x3xi64>, %types: tensor<5x4xf32>) -> tensor<2x3x4xf32> {
  %e = nn.embedding %ids, %types : tensor<2x3xi64>, tensor<5x4xf32>
  %o = nn.mul %x, %e : tensor<2x3x4xf32>, tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}
func.func @FT(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %t = nn.tanh %x : tensor<2x3x4xf32>
  return %t : tensor<2x3x4xf32>
}
func.func @tokens(%ids: tensor<2x3xi64> {rev.no_grad}, %labels: tensor<2xi64>, %table: tensor<5x4xf32>, %types: tensor<5x4xf32>, %head: tensor<3x4xf32>) -> tensor<f32> attributes {rev.index_checks = {func = @tokens_check_indices, checks = [{arg = 0 : i64, bound = 5 : i64, what = "ids"}]}} {
  %x = nn.embedding %ids, %table : tensor<2x3xi64>, tensor<5x4xf32>
  %y1, %y2 = rev.block(%x, %x) f @FT() g @GE(%ids, %types : tensor<2x3xi64>, tensor<5x4xf32>) : tensor<2x3x4xf32>, tensor<2x3x4xf32>
  %first = nn.slice %y2 offsets [0, 0, 0] sizes [2, 1, 4] : tensor<2x3x4xf32>
  %cls = nn.reshape %first : tensor<2x1x4xf32> -> tensor<2x4xf32>
  %logits = nn.linear %cls, %head : tensor<2x4xf32>, tensor<3x4xf32>
  %l = nn.cross_entropy %logits, %labels : tensor<2x3xf32>, tensor<2xi64>
  return %l : tensor<f32>
}

// The VJP reads the ids as G's argument: no recomputed embedding, the
// saved one is what nn.mul reads.
// CHECK-LABEL: func.func private @GE__vjp
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x3x4xf32>, %[[IDS:[^:]*]]: tensor<2x3xi64>, %[[TYPES:[^:]*]]: tensor<5x4xf32>, %[[E:[^:]*]]: tensor<2x3x4xf32>, %[[DY:[^:]*]]: tensor<2x3x4xf32>)
// CHECK-SAME: -> (tensor<2x3x4xf32>, tensor<2x3xi64>, tensor<5x4xf32>)
// CHECK-NOT:   nn.embedding %
// CHECK-DAG:   %[[DX:.*]] = nn.mul %[[DY]], %[[E]]
// CHECK-DAG:   %[[DE:.*]] = nn.mul %[[DY]], %[[X]]
// CHECK-DAG:   %[[DT:.*]] = nn.embedding_grad %[[IDS]], %[[DE]] : tensor<2x3xi64>, tensor<2x3x4xf32> -> tensor<5x4xf32>
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0> : tensor<2x3xi64>
// CHECK:   return %[[DX]], %[[ZERO]], %[[DT]]
// CHECK-LABEL: func.func @tokens_step
// CHECK-SAME: (%[[IDS:[^:]*]]: tensor<2x3xi64> {rev.no_grad}, %[[LABELS:[^:]*]]: tensor<2xi64>,
// CHECK-SAME: -> (tensor<f32>, tensor<5x4xf32>, tensor<5x4xf32>, tensor<3x4xf32>)
// CHECK-SAME: rev.grad_args = array<i64: 2, 3, 4>
// The step takes the loss's arguments, and so its index checks.
// CHECK-SAME: rev.index_checks = {checks = [{arg = 0 : i64, bound = 5 : i64, what = "ids"}], func = @tokens_check_indices}
// CHECK:   %[[LOGITS:.*]] = nn.linear
// CHECK:   %[[DLOGITS:.*]] = nn.cross_entropy_grad %[[LOGITS]], %[[LABELS]], %{{.*}} : tensor<2x3xf32>, tensor<2xi64>, tensor<f32>
// CHECK:   nn.slice_grad %{{.*}} offsets [0, 0, 0] : tensor<2x1x4xf32> -> tensor<2x3x4xf32>
// CHECK:   rev.grad
// CHECK-SAME: g @GE__vjp(%[[IDS]], %{{.*}} : tensor<2x3xi64>, tensor<5x4xf32>)
// CHECK:   %[[DTABLE:.*]] = nn.embedding_grad %[[IDS]], %{{.*}} : tensor<2x3xi64>, tensor<2x3x4xf32> -> tensor<5x4xf32>
// CHECK:   return %{{.*}}, %[[DTABLE]],

// -----

// A loss without argument attributes (found by pareprop-opt-fuzzer): the
// step has none either, and every argument gets a gradient.
// CHECK-LABEL: func.func @bare_step
// CHECK-SAME: (%{{[^:]*}}: tensor<2x4xf32>) -> (tensor<f32>, tensor<2x4xf32>)
// CHECK-SAME: rev.grad_args = array<i64: 0>
func.func private @T(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %t = nn.tanh %x : tensor<2x4xf32>
  return %t : tensor<2x4xf32>
}
func.func @bare(%x: tensor<2x4xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @T() g @T() : tensor<2x4xf32>, tensor<2x4xf32>
  %s = nn.add %y1, %y2 : tensor<2x4xf32>, tensor<2x4xf32>
  %l = nn.sum %s dims [0, 1] : tensor<2x4xf32>
  return %l : tensor<f32>
}
