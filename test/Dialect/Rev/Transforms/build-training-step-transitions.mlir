// RUN: pareprop-opt %s -split-input-file -rev-build-training-step=transitions=checkpoint | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -rev-build-training-step | FileCheck %s --check-prefix=STORED
// RUN: pareprop-opt %s -split-input-file -rev-build-training-step="transitions=checkpoint" -rev-schedule-backward=policy=pareprop | FileCheck %s --check-prefix=SCHED

// Two reversible stacks around a non-reversible transition (tanh, matmul),
// after a prefix (tanh, matmul). With transitions=checkpoint the backward
// replays the tanh of the transition from its input (the first stack's
// output, which the backward holds anyway) right before the transition's
// backprop, and the prefix's tanh before the prefix's; the gradient rules
// read the replays, so the forward's activations of both die with the
// forward. The matmuls are not replayed: their outputs are block inputs,
// which the recomputes rebuild.
// CHECK-LABEL: func.func @loss_step
// CHECK: %[[H:.*]] = nn.tanh %arg0
// CHECK: %[[P:.*]] = nn.matmul %[[H]], %arg1
// CHECK: %[[A1:.*]], %[[A2:.*]] = rev.block(%[[P]], %[[P]])
// CHECK: %[[TT:.*]] = nn.tanh %[[A2]]
// CHECK: %[[TM:.*]] = nn.matmul %[[TT]], %arg2
// CHECK: rev.block(%[[A1]], %[[TM]])
// CHECK: rev.recompute
// CHECK: %{{.*}}, %[[DX2:.*]], %{{.*}}, %{{.*}} = rev.grad
// CHECK: %[[RT:.*]] = nn.tanh %[[A2]] {rev.work = {kind = "checkpoint", segment = 1 : i64}}
// CHECK-DAG: nn.matmul %[[DX2]], %arg2 {transpose_rhs}
// CHECK-DAG: nn.matmul %[[RT]], %[[DX2]] {transpose_lhs}
// CHECK: nn.tanh_grad %[[RT]]
// CHECK: rev.recompute
// CHECK: rev.grad
// CHECK: %[[RH:.*]] = nn.tanh %arg0 {rev.work = {kind = "checkpoint", segment = 0 : i64}}
// CHECK: nn.matmul %[[RH]], %{{.*}} {transpose_lhs}
// CHECK: nn.tanh_grad %[[RH]]
// CHECK-NOT: %[[TT]]
// CHECK-NOT: %[[H]]
// CHECK: return

// Stored transitions: no replay.
// STORED-LABEL: func.func @loss_step
// STORED-NOT: checkpoint

// The replay is a task of its own, scheduled on the recompute stream under
// pareprop.
// SCHED-LABEL: func.func @loss_step
// SCHED: rev.task stream 1 kind "checkpoint"
func.func @F(%x: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<2x3xf32> {
  %h = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x3xf32>
  %a = nn.tanh %h : tensor<2x3xf32>
  return %a : tensor<2x3xf32>
}
func.func @loss(%x: tensor<2x3xf32>, %wp: tensor<3x3xf32>, %wt: tensor<3x3xf32>, %w0: tensor<3x3xf32>, %w1: tensor<3x3xf32>) -> tensor<f32> {
  %h = nn.tanh %x : tensor<2x3xf32>
  %p = nn.matmul %h, %wp : tensor<2x3xf32>, tensor<3x3xf32>
  %a1, %a2 = rev.block(%p, %p) f @F(%w0 : tensor<3x3xf32>) g @F(%w0 : tensor<3x3xf32>) : tensor<2x3xf32>, tensor<2x3xf32>
  %tt = nn.tanh %a2 : tensor<2x3xf32>
  %tm = nn.matmul %tt, %wt : tensor<2x3xf32>, tensor<3x3xf32>
  %b1, %b2 = rev.block(%a1, %tm) f @F(%w1 : tensor<3x3xf32>) g @F(%w1 : tensor<3x3xf32>) : tensor<2x3xf32>, tensor<2x3xf32>
  %l = nn.sum %b2 dims [0, 1] : tensor<2x3xf32>
  return %l : tensor<f32>
}

// -----

// Random keys derived in the prefix are kept, not replayed: a replay is for
// activations (a key replay would be a task of its own for eight bytes).
// CHECK-LABEL: func.func @keyed_step
// CHECK: %[[K:.*]] = nn.fold_key %arg1, 7
// CHECK-NOT: checkpoint
// CHECK: rev.recompute
// CHECK-SAME: f @D__fwd(%[[K]] : i64)
// CHECK-NOT: checkpoint
// CHECK: return
func.func @D(%x: tensor<2x3xf32>, %key: i64) -> tensor<2x3xf32> {
  %d = nn.dropout %x, %key {id = 0 : i64, rate = 0.5 : f64} : tensor<2x3xf32>
  %t = nn.tanh %d : tensor<2x3xf32>
  return %t : tensor<2x3xf32>
}
func.func @keyed(%x: tensor<2x3xf32>, %seed: i64) -> tensor<f32> {
  %k = nn.fold_key %seed, 7
  %y1, %y2 = rev.block(%x, %x) f @D(%k : i64) g @D(%k : i64) : tensor<2x3xf32>, tensor<2x3xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<2x3xf32>
  return %l : tensor<f32>
}
