// RUN: pareprop-opt %s -split-input-file | pareprop-opt -split-input-file | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -mlir-print-op-generic | pareprop-opt -split-input-file | FileCheck %s

func.func private @F(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32>
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>

// CHECK-LABEL: func @block
func.func @block(%x1: tensor<4x8xf32>, %x2: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: %{{.*}}, %{{.*}} = rev.block(%{{.*}}, %{{.*}}) f @F(%{{.*}} : tensor<8x8xf32>) g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  %y1, %y2 = rev.block(%x1, %x2) f @F(%w : tensor<8x8xf32>) g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return %y1, %y2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Blocks whose halves differ in width: F maps X2 to X1's type, G back.
func.func private @F(%x: tensor<4x3xf32>) -> tensor<4x5xf32>
func.func private @G(%x: tensor<4x5xf32>) -> tensor<4x3xf32>

// CHECK-LABEL: func @asymmetric
func.func @asymmetric(%x1: tensor<4x5xf32>, %x2: tensor<4x3xf32>) -> (tensor<4x5xf32>, tensor<4x3xf32>) {
  // CHECK: rev.block({{.*}}) f @F() g @G() : tensor<4x5xf32>, tensor<4x3xf32>
  %y1, %y2 = rev.block(%x1, %x2) f @F() g @G() : tensor<4x5xf32>, tensor<4x3xf32>
  return %y1, %y2 : tensor<4x5xf32>, tensor<4x3xf32>
}

// -----

func.func private @F__fwd(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
func.func private @G__fwd(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func private @F__vjp(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %s: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8x8xf32>)
func.func private @G__vjp(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> tensor<4x8xf32>

// CHECK-LABEL: func @backward
func.func @backward(%y1: tensor<4x8xf32>, %y2: tensor<4x8xf32>, %w: tensor<8x8xf32>, %dy1: tensor<4x8xf32>, %dy2: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>) {
  // CHECK: %[[X1:.*]], %[[X2:.*]], %[[SF:.*]] = rev.recompute(%{{.*}}, %{{.*}}) f @F__fwd(%{{.*}} : tensor<8x8xf32>) g @G__fwd() : tensor<4x8xf32>, tensor<4x8xf32> -> saved (tensor<4x8xf32>) ()
  %x1, %x2, %sf = rev.recompute(%y1, %y2) f @F__fwd(%w : tensor<8x8xf32>) g @G__fwd() : tensor<4x8xf32>, tensor<4x8xf32> -> saved(tensor<4x8xf32>) ()
  // CHECK: rev.grad(%{{.*}}, %{{.*}}) at(%[[X2]], %{{.*}}) f @F__vjp(%{{.*}} : tensor<8x8xf32>) saved(%[[SF]] : tensor<4x8xf32>) g @G__vjp() saved() : tensor<4x8xf32>, tensor<4x8xf32> -> (tensor<8x8xf32>) ()
  %dx1, %dx2, %dw = rev.grad(%dy1, %dy2) at(%x2, %y1) f @F__vjp(%w : tensor<8x8xf32>) saved(%sf : tensor<4x8xf32>) g @G__vjp() saved() : tensor<4x8xf32>, tensor<4x8xf32> -> (tensor<8x8xf32>) ()
  return %dx1, %dx2, %dw : tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>
}

// -----

// CHECK-LABEL: func @tasks
func.func @tasks(%a: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[T0:.*]], %[[R0:.*]] = rev.task stream 0 {
  // CHECK:   rev.yield %{{.*}} : tensor<4xf32>
  // CHECK: } -> tensor<4xf32>
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  // CHECK: rev.task stream 1 after(%[[T0]]) {
  %t1, %r1 = rev.task stream 1 after(%t0) {
    %1 = nn.relu %r0 : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  // A task with no results; its empty rev.yield is implicit.
  // CHECK: = rev.task stream 0 {
  // CHECK-NEXT: }
  %t2 = rev.task stream 0 {
    rev.yield
  }
  // CHECK: rev.await %{{.*}}, %{{.*}}
  rev.await %t1, %t2
  return %r1 : tensor<4xf32>
}
