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
