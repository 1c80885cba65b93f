// RUN: pareprop-opt %s -split-input-file -rev-expand-couplings -verify-diagnostics
// The expansion trusts the coupling op verifiers: a mismatched saving
// forward or VJP never reaches it.

// expected-note @+1 {{function defined here}}
func.func private @F__fwd(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func private @G__fwd(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @recompute(%y: tensor<4x8xf32>) {
  // expected-error @+1 {{'rev.recompute' op expects 2 results but saving forward of F @F__fwd has type}}
  %x1, %x2, %s = rev.recompute(%y, %y) f @F__fwd() g @G__fwd() : tensor<4x8xf32>, tensor<4x8xf32> -> saved (tensor<4x8xf32>) ()
  return
}

// -----

func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @erased_function(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'g' refers to unknown function @F}}
  %y1, %y2 = rev.block(%x, %x) f @G() g @F() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}
