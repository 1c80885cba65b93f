// The f32 polynomial approximations pareprop-math-to-polynomials puts in the
// loop kernels, checked against libm in f64 over each function's useful
// range: the largest error (relative for exp, absolute over max(1, |f|)
// for the others) must stay under 1e-6, about 8 ulp of f32.
//
// RUN: pareprop-opt %s --pareprop-math-to-polynomials --convert-scf-to-cf \
// RUN:   --convert-math-to-llvm --convert-math-to-libm --convert-arith-to-llvm \
// RUN:   --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils.so | FileCheck %s
//
// The approximations really replaced the calls:
// RUN: pareprop-opt %s --pareprop-math-to-polynomials | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @approx_exp
// IR-NOT:     math.exp
// IR:         math.fma
// IR-LABEL: func.func @approx_erf
// IR-NOT:     math.erf
// IR-LABEL: func.func @approx_tanh
// IR-NOT:     math.tanh
// IR-LABEL: func.func @approx_log
// IR-NOT:     math.log {{.*}} : f32
// f64 stays libm's:
// IR-LABEL: func.func @check
// IR:         math.exp {{.*}} : f64

func.func private @printF64(f64)
func.func private @printI64(i64)
func.func private @printNewline()
func.func private @printComma()

func.func @approx_exp(%x: f32) -> f32 {
  %y = math.exp %x : f32
  return %y : f32
}
func.func @approx_erf(%x: f32) -> f32 {
  %y = math.erf %x : f32
  return %y : f32
}
func.func @approx_tanh(%x: f32) -> f32 {
  %y = math.tanh %x : f32
  return %y : f32
}
func.func @approx_log(%x: f32) -> f32 {
  %y = math.log %x : f32
  return %y : f32
}

// Prints the largest error of `fn` on lo + i * step (i < n) and whether it
// is under 1e-6; `relative` divides by |f| instead of max(1, |f|).
func.func @check(%id: i64, %lo: f64, %step: f64, %n: index, %relative: i1)
    -> () {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %one = arith.constant 1.0 : f64
  %worst = scf.for %i = %c0 to %n step %c1 iter_args(%w = %zero) -> f64 {
    %ii = arith.index_cast %i : index to i64
    %fi = arith.sitofp %ii : i64 to f64
    %xd0 = arith.mulf %fi, %step : f64
    %xd1 = arith.addf %lo, %xd0 : f64
    // Evaluate at the f32 point, so only the function's error counts.
    %x = arith.truncf %xd1 : f64 to f32
    %xd = arith.extf %x : f32 to f64
    %c0i = arith.constant 0 : i64
    %c1i = arith.constant 1 : i64
    %c2i = arith.constant 2 : i64
    %is0 = arith.cmpi eq, %id, %c0i : i64
    %is1 = arith.cmpi eq, %id, %c1i : i64
    %is2 = arith.cmpi eq, %id, %c2i : i64
    %pair:2 = scf.if %is0 -> (f32, f64) {
      %a = func.call @approx_exp(%x) : (f32) -> f32
      %e = math.exp %xd : f64
      scf.yield %a, %e : f32, f64
    } else {
      %r:2 = scf.if %is1 -> (f32, f64) {
        %a = func.call @approx_erf(%x) : (f32) -> f32
        %e = math.erf %xd : f64
        scf.yield %a, %e : f32, f64
      } else {
        %r2:2 = scf.if %is2 -> (f32, f64) {
          %a = func.call @approx_tanh(%x) : (f32) -> f32
          %e = math.tanh %xd : f64
          scf.yield %a, %e : f32, f64
        } else {
          %a = func.call @approx_log(%x) : (f32) -> f32
          %e = math.log %xd : f64
          scf.yield %a, %e : f32, f64
        }
        scf.yield %r2#0, %r2#1 : f32, f64
      }
      scf.yield %r#0, %r#1 : f32, f64
    }
    %ad = arith.extf %pair#0 : f32 to f64
    %diff = arith.subf %ad, %pair#1 : f64
    %adiff = math.absf %diff : f64
    %mag = math.absf %pair#1 : f64
    %floor = arith.select %relative, %zero, %one : f64
    %scale = arith.maximumf %mag, %floor : f64
    %err = arith.divf %adiff, %scale : f64
    %nw = arith.maximumf %w, %err : f64
    scf.yield %nw : f64
  }
  %bound = arith.constant 1.0e-6 : f64
  %ok = arith.cmpf olt, %worst, %bound : f64
  %oki = arith.extui %ok : i1 to i64
  func.call @printI64(%id) : (i64) -> ()
  func.call @printComma() : () -> ()
  func.call @printI64(%oki) : (i64) -> ()
  func.call @printComma() : () -> ()
  func.call @printF64(%worst) : (f64) -> ()
  func.call @printNewline() : () -> ()
  return
}

// Function id, under the bound (1), largest error:
// CHECK: 0, 1,
// CHECK: 1, 1,
// CHECK: 2, 1,
// CHECK: 3, 1,
func.func @main() {
  %n = arith.constant 200000 : index
  %true = arith.constant true
  %false = arith.constant false
  %exp = arith.constant 0 : i64
  %erf = arith.constant 1 : i64
  %tanh = arith.constant 2 : i64
  %log = arith.constant 3 : i64
  // exp on [-87, 88] (f32's finite, normal range).
  %elo = arith.constant -87.0 : f64
  %estep = arith.constant 8.75e-4 : f64
  func.call @check(%exp, %elo, %estep, %n, %true) : (i64, f64, f64, index, i1) -> ()
  // erf and tanh on [-10, 10].
  %lo = arith.constant -10.0 : f64
  %step = arith.constant 1.0e-4 : f64
  func.call @check(%erf, %lo, %step, %n, %false) : (i64, f64, f64, index, i1) -> ()
  func.call @check(%tanh, %lo, %step, %n, %false) : (i64, f64, f64, index, i1) -> ()
  // log on (0, 100].
  %llo = arith.constant 5.0e-4 : f64
  %lstep = arith.constant 5.0e-4 : f64
  func.call @check(%log, %llo, %lstep, %n, %false) : (i64, f64, f64, index, i1) -> ()
  return
}
