// RUN: pareprop-opt %s -split-input-file -rev-build-training-step -rev-split-gradients | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -rev-build-training-step=mode=stored -rev-split-gradients | FileCheck %s --check-prefix=STORED

// A VJP is cut once, however many blocks share it. The dX part keeps the
// input-gradient chain and returns the cut (the gradient of the matmul's
// output); the dW part takes only what it reads (F's input and the cut, not
// the saved tanh output), so nothing is computed twice. G has no
// parameters: its VJP is called whole from the grad node. Each rev.grad
// becomes one grad node (both dX parts and the coupling adds) and a
// param-grad node for F; the whole VJP, now unused, is gone.
// CHECK-LABEL: func.func private @F__vjp_dx
// CHECK-SAME: (%[[W:.*]]: tensor<3x3xf32>, %[[S:.*]]: tensor<2x3xf32>, %[[DY:.*]]: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK-SAME: rev.derived_from = @F, rev.split_args = array<i64: 1, 2, 3>
// CHECK-NEXT: %[[DH:.*]] = nn.tanh_grad %[[S]], %[[DY]]
// CHECK-NEXT: %[[DX:.*]] = nn.matmul %[[DH]], %[[W]] {transpose_rhs}
// CHECK-NEXT: return %[[DX]], %[[DH]]
// CHECK-LABEL: func.func private @F__vjp_dw
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[CUT:.*]]: tensor<2x3xf32>) -> tensor<3x3xf32>
// CHECK-SAME: rev.split_args = array<i64: 0>
// CHECK-NEXT: %[[DW:.*]] = nn.matmul %[[X]], %[[CUT]] {transpose_lhs}
// CHECK-NEXT: return %[[DW]]
// CHECK-NOT: func.func private @F__vjp(
// CHECK-NOT: @G__vjp_d
// CHECK-LABEL: func.func @loss_step
// CHECK-NOT: rev.grad(
// CHECK: %[[X1:.*]], %[[X2:.*]], %[[FS:.*]], %[[GS:.*]] = rev.recompute
// CHECK-NEXT: %[[GDX:.*]] = call @G__vjp(%{{.*}}, %[[GS]], %[[DY2:.*]]) {rev.work = {block = 1 : i64, kind = "grad"}}
// CHECK-NEXT: %[[DX1:.*]] = nn.add %{{.*}}, %[[GDX]] {rev.work = {block = 1 : i64, kind = "grad"}}
// CHECK-NEXT: %[[FDX:.*]]:2 = call @F__vjp_dx(%{{.*}}, %[[FS]], %[[DX1]]) {rev.work = {block = 1 : i64, kind = "grad"}}
// CHECK-NEXT: nn.add %[[DY2]], %[[FDX]]#0 {rev.work = {block = 1 : i64, kind = "grad"}}
// CHECK-NEXT: %[[DW1:.*]] = call @F__vjp_dw(%[[X2]], %[[FDX]]#1) {rev.work = {block = 1 : i64, half = "f", kind = "param-grad"}}
// CHECK-NEXT: rev.recompute
// CHECK: call @F__vjp_dx({{.*}}) {rev.work = {block = 0 : i64, kind = "grad"}}
// CHECK: %[[DW0:.*]] = call @F__vjp_dw({{.*}}) {rev.work = {block = 0 : i64, half = "f", kind = "param-grad"}}
// CHECK: return %{{.*}}, %{{.*}}, %[[DW0]], %[[DW1]]

// Ordinary backprop has no recompute to name the block: the tags carry the
// kind only.
// STORED-LABEL: func.func @loss_step
// STORED: call @F__vjp_dx({{.*}}) {rev.work = {kind = "grad"}}
// STORED: call @F__vjp_dw({{.*}}) {rev.work = {half = "f", kind = "param-grad"}}
func.func @F(%x: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<2x3xf32> {
  %h = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x3xf32>
  %a = nn.tanh %h : tensor<2x3xf32>
  return %a : tensor<2x3xf32>
}
func.func @G(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = nn.tanh %x : tensor<2x3xf32>
  return %a : tensor<2x3xf32>
}
func.func @loss(%x: tensor<2x3xf32>, %w0: tensor<3x3xf32>, %w1: tensor<3x3xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%w0 : tensor<3x3xf32>) g @G() : tensor<2x3xf32>, tensor<2x3xf32>
  %z1, %z2 = rev.block(%y1, %y2) f @F(%w1 : tensor<3x3xf32>) g @G() : tensor<2x3xf32>, tensor<2x3xf32>
  %l = nn.sum %z2 dims [0, 1] : tensor<2x3xf32>
  return %l : tensor<f32>
}

// -----

// A parameter gradient that is a value the input gradient computes anyway
// (a bias of the output's shape: db = dy) needs no work of its own: the VJP
// stays whole and its parameter gradients come from the grad node.
// CHECK-LABEL: func.func private @B__vjp(
// CHECK-NOT: @B__vjp_dw
// CHECK-LABEL: func.func @bias_step
// CHECK: %[[G:.*]]:2 = call @B__vjp({{.*}}) {rev.work = {block = 0 : i64, kind = "grad"}}
// CHECK: %[[F:.*]]:2 = call @B__vjp({{.*}}) {rev.work = {block = 0 : i64, kind = "grad"}}
// CHECK-NOT: param-grad
// CHECK: return %{{.*}}, %{{.*}}, %[[F]]#1, %[[G]]#1
func.func @B(%x: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = nn.tanh %x : tensor<2x3xf32>
  %o = nn.add %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
  return %o : tensor<2x3xf32>
}
func.func @bias(%x: tensor<2x3xf32>, %bf: tensor<2x3xf32>, %bg: tensor<2x3xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @B(%bf : tensor<2x3xf32>) g @B(%bg : tensor<2x3xf32>) : tensor<2x3xf32>, tensor<2x3xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<2x3xf32>
  return %l : tensor<f32>
}

// -----

// Tied parameters: both blocks' dW nodes feed the ordinary-backprop sum,
// which stays untagged.
// CHECK-LABEL: func.func @tied_step
// CHECK: %[[A:.*]] = call @T__vjp_dw({{.*}}) {rev.work = {block = 1 : i64, half = "g", kind = "param-grad"}}
// CHECK-NEXT: %[[B:.*]] = call @T__vjp_dw({{.*}}) {rev.work = {block = 1 : i64, half = "f", kind = "param-grad"}}
// CHECK-NEXT: %[[AB:.*]] = nn.add %[[B]], %[[A]] : tensor<3x3xf32>
// CHECK: %[[C:.*]] = call @T__vjp_dw({{.*}}) {rev.work = {block = 0 : i64, half = "g", kind = "param-grad"}}
// CHECK-NEXT: %[[D:.*]] = call @T__vjp_dw({{.*}}) {rev.work = {block = 0 : i64, half = "f", kind = "param-grad"}}
// CHECK: %[[ABD:.*]] = nn.add %[[AB]], %[[D]] : tensor<3x3xf32>
// CHECK-NEXT: %[[ALL:.*]] = nn.add %[[ABD]], %[[C]] : tensor<3x3xf32>
// CHECK-NEXT: return %{{.*}}, %{{.*}}, %[[ALL]]
func.func @T(%x: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<2x3xf32> {
  %h = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x3xf32>
  %a = nn.tanh %h : tensor<2x3xf32>
  return %a : tensor<2x3xf32>
}
func.func @tied(%x: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @T(%w : tensor<3x3xf32>) g @T(%w : tensor<3x3xf32>) : tensor<2x3xf32>, tensor<2x3xf32>
  %z1, %z2 = rev.block(%y1, %y2) f @T(%w : tensor<3x3xf32>) g @T(%w : tensor<3x3xf32>) : tensor<2x3xf32>, tensor<2x3xf32>
  %l = nn.sum %z2 dims [0, 1] : tensor<2x3xf32>
  return %l : tensor<f32>
}

// -----

// A reshape (a view of its operand once bufferized) is never passed between
// the parts: the dW part rebuilds it from the tensor it views, so no part
// returns a buffer together with a view of it.
// CHECK-LABEL: func.func private @L__vjp_dx
// CHECK: %[[DH:.*]] = nn.tanh_grad
// CHECK: %[[DX:.*]] = nn.reshape %{{.*}} : tensor<10x4xf32> -> tensor<2x5x4xf32>
// CHECK-NEXT: return %[[DX]], %[[DH]] : tensor<2x5x4xf32>, tensor<2x5x4xf32>
// CHECK-LABEL: func.func private @L__vjp_dw
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x4xf32>, %[[CUT:.*]]: tensor<2x5x4xf32>)
// CHECK-DAG: nn.reshape %[[CUT]] : tensor<2x5x4xf32> -> tensor<10x4xf32>
// CHECK-DAG: nn.reshape %[[X]] : tensor<2x5x4xf32> -> tensor<10x4xf32>
func.func @L(%x: tensor<2x5x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x5x4xf32> {
  %h = nn.linear %x, %w : tensor<2x5x4xf32>, tensor<4x4xf32>
  %a = nn.tanh %h : tensor<2x5x4xf32>
  return %a : tensor<2x5x4xf32>
}
func.func @view(%x: tensor<2x5x4xf32>, %wf: tensor<4x4xf32>, %wg: tensor<4x4xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @L(%wf : tensor<4x4xf32>) g @L(%wg : tensor<4x4xf32>) : tensor<2x5x4xf32>, tensor<2x5x4xf32>
  %l = nn.sum %y2 dims [0, 1, 2] : tensor<2x5x4xf32>
  return %l : tensor<f32>
}
