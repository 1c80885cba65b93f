// RUN: pareprop-opt %s -split-input-file -pareprop-math-to-polynomials | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -pareprop-math-to-polynomials="functions=erf" | FileCheck %s --check-prefix=ONLY-ERF

// f32 exp, erf and tanh become arith/math.fma polynomials, in a loop body
// as anywhere else; f64 and the functions not in the list stay.
// CHECK-LABEL: func.func @in_kernel
// CHECK:         linalg.generic
// CHECK-NOT:       math.exp
// CHECK-NOT:       math.erf
// CHECK:           math.fma
// CHECK:           linalg.yield
// ONLY-ERF-LABEL: func.func @in_kernel
// ONLY-ERF:         math.exp {{.*}} : f32
// ONLY-ERF-NOT:     math.erf
#id = affine_map<(d0) -> (d0)>
func.func @in_kernel(%a: memref<64xf32>, %b: memref<64xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<64xf32>) outs(%b : memref<64xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    %r = math.erf %e : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// CHECK-LABEL: func.func @f64_and_others_stay
// CHECK:         math.exp %{{.*}} : f64
// CHECK:         math.sqrt %{{.*}} : f32
// CHECK-NOT:     math.tanh
// CHECK:         return
func.func @f64_and_others_stay(%x: f64, %y: f32) -> (f64, f32, f32) {
  %e = math.exp %x : f64
  %s = math.sqrt %y : f32
  %t = math.tanh %y : f32
  return %e, %s, %t : f64, f32, f32
}

// -----

// Vectors of f32 too.
// CHECK-LABEL: func.func @vector
// CHECK-NOT:     math.tanh
// CHECK:         return
func.func @vector(%x: vector<8xf32>) -> vector<8xf32> {
  %t = math.tanh %x : vector<8xf32>
  return %t : vector<8xf32>
}
