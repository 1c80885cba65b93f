// RUN: not pareprop-opt %s -pareprop-math-to-polynomials="functions=exp,gamma" 2>&1 | FileCheck %s

// A function with no approximation is an error that names what exists, not
// a silent no-op.
// CHECK: error: pareprop-math-to-polynomials: no polynomial approximation of math.gamma (known: acos, asin, atan, atan2, cbrt, cos, erf, erfc, exp, expm1, log, log1p, log2, rsqrt, sin, tanh)
func.func @f(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}
