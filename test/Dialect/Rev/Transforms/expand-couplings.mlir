// RUN: pareprop-opt %s -split-input-file -rev-expand-couplings | FileCheck %s

func.func private @F(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32>
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>

// Y1 = X1 + F(X2), Y2 = X2 + G(Y1).
// CHECK-LABEL: func @block
// CHECK-SAME: (%[[X1:.*]]: tensor<4x8xf32>, %[[X2:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x8xf32>)
// CHECK: %[[F:.*]] = call @F(%[[X2]], %[[W]])
// CHECK: %[[Y1:.*]] = nn.add %[[X1]], %[[F]]
// CHECK: %[[G:.*]] = call @G(%[[Y1]])
// CHECK: %[[Y2:.*]] = nn.add %[[X2]], %[[G]]
// CHECK: return %[[Y1]], %[[Y2]]
func.func @block(%x1: tensor<4x8xf32>, %x2: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %y1, %y2 = rev.block(%x1, %x2) f @F(%w : tensor<8x8xf32>) g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return %y1, %y2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

func.func private @F__fwd(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
func.func private @G__fwd(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func private @F__vjp(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %s: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8x8xf32>)
func.func private @G__vjp(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> tensor<4x8xf32>

// X2 = Y2 - G(Y1), X1 = Y1 - F(X2), keeping F's saved internal.
// CHECK-LABEL: func @recompute
// CHECK-SAME: (%[[Y1:.*]]: tensor<4x8xf32>, %[[Y2:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x8xf32>)
// CHECK: %[[G:.*]] = call @G__fwd(%[[Y1]])
// CHECK: %[[X2:.*]] = nn.sub %[[Y2]], %[[G]]
// CHECK: %[[F:.*]]:2 = call @F__fwd(%[[X2]], %[[W]])
// CHECK: %[[X1:.*]] = nn.sub %[[Y1]], %[[F]]#0
// CHECK: return %[[X1]], %[[X2]], %[[F]]#1
func.func @recompute(%y1: tensor<4x8xf32>, %y2: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %x1, %x2, %sf = rev.recompute(%y1, %y2) f @F__fwd(%w : tensor<8x8xf32>) g @G__fwd() : tensor<4x8xf32>, tensor<4x8xf32> -> saved (tensor<4x8xf32>) ()
  return %x1, %x2, %sf : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// dX1 = dY1 + G_vjp(dY2), dX2 = dY2 + F_vjp(dX1).
// CHECK-LABEL: func @grad
// CHECK-SAME: (%[[DY1:.*]]: tensor<4x8xf32>, %[[DY2:.*]]: tensor<4x8xf32>, %[[X2:.*]]: tensor<4x8xf32>, %[[Y1:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x8xf32>, %[[S:.*]]: tensor<4x8xf32>)
// CHECK: %[[DG:.*]] = call @G__vjp(%[[Y1]], %[[DY2]])
// CHECK: %[[DX1:.*]] = nn.add %[[DY1]], %[[DG]]
// CHECK: %[[DF:.*]]:2 = call @F__vjp(%[[X2]], %[[W]], %[[S]], %[[DX1]])
// CHECK: %[[DX2:.*]] = nn.add %[[DY2]], %[[DF]]#0
// CHECK: return %[[DX1]], %[[DX2]], %[[DF]]#1
func.func @grad(%dy1: tensor<4x8xf32>, %dy2: tensor<4x8xf32>, %x2: tensor<4x8xf32>, %y1: tensor<4x8xf32>, %w: tensor<8x8xf32>, %s: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>) {
  %dx1, %dx2, %dw = rev.grad(%dy1, %dy2) at(%x2, %y1) f @F__vjp(%w : tensor<8x8xf32>) saved(%s : tensor<4x8xf32>) g @G__vjp() saved() : tensor<4x8xf32>, tensor<4x8xf32> -> (tensor<8x8xf32>) ()
  return %dx1, %dx2, %dw : tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>
}
