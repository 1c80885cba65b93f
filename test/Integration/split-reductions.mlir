// pareprop-split-linalg-reductions computes what the reductions it replaces do:
// each reduction below runs as written and split into partials (small
// targets, so that every one is split), on integer-valued data where
// reassociation is exact, and the two runs must print the same results.
//
// DEFINE: %{run} = pareprop-opt --convert-linalg-to-loops --lower-affine \
// DEFINE:   --convert-scf-to-cf --expand-strided-metadata --finalize-memref-to-llvm \
// DEFINE:   --convert-arith-to-llvm --convert-index-to-llvm --convert-func-to-llvm \
// DEFINE:   --convert-cf-to-llvm --reconcile-unrealized-casts \
// DEFINE: | mlir-runner -e main -entry-point-result=void \
// DEFINE:   -shared-libs=%mlir_lib_dir/libmlir_runner_utils.so,%mlir_lib_dir/libmlir_c_runner_utils.so \
// DEFINE: | sed -e 's/base@ = 0x[0-9a-f]*//'
// RUN: pareprop-opt %s | %{run} > %t.sequential
// RUN: pareprop-opt %s --pareprop-split-linalg-reductions="target-threads=64 min-per-thread=2" | %{run} > %t.split
// RUN: diff %t.sequential %t.split
// RUN: FileCheck %s < %t.split
//
// Every reduction was split (a partial loop and a combine loop):
// RUN: pareprop-opt %s --pareprop-split-linalg-reductions="target-threads=64 min-per-thread=2" | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @column_sums
// IR-NOT:   linalg.generic
// IR-COUNT-2: scf.parallel
// IR-LABEL: func.func @row_maxima
// IR-NOT:   linalg.generic
// IR-COUNT-2: scf.parallel
// IR-LABEL: func.func @full_sum
// IR-NOT:   linalg.generic
// IR-COUNT-2: scf.parallel
// IR-LABEL: func.func @outer_and_inner_squares
// IR-NOT:   linalg.generic
// IR-COUNT-2: scf.parallel
// IR-LABEL: func.func @middle_minima
// IR-NOT:   linalg.generic
// IR-COUNT-2: scf.parallel
// IR-LABEL: func.func @index_sums
// IR-NOT:   linalg.generic
// IR-COUNT-2: scf.parallel
// IR-LABEL: func.func @main
// The fill before the reduction in main is its starting value: -50.
// IR:       %[[M50:.*]] = arith.constant -5.000000e+01 : f32
// IR-NOT:   linalg.fill ins(%[[M50]]
// IR:       scf.for {{.*}} iter_args(%{{.*}} = %[[M50]])

// Sums of 1..100 offset by 100 i per row: 5050, 15050, 25050.
// CHECK: index sums
// CHECK-NEXT: Unranked Memref {{.*}} sizes = [3]
// CHECK-NEXT: [5050,  15050,  25050]
// CHECK: column sums
// CHECK: filled column maxima
// CHECK-NEXT: Unranked Memref
// CHECK-NEXT: [0,  5,  10,  15,  20]
// CHECK: row maxima
// CHECK: full sum
// CHECK: outer and inner squares
// CHECK: middle minima

#id2 = affine_map<(i, j) -> (i, j)>

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefF64(memref<*xf64>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}
func.func private @printString(!llvm.ptr)

llvm.mlir.global internal constant @s_index("index sums\0A\00")
llvm.mlir.global internal constant @s_columns("column sums\0A\00")
llvm.mlir.global internal constant @s_colmax("filled column maxima\0A\00")
llvm.mlir.global internal constant @s_rows("row maxima\0A\00")
llvm.mlir.global internal constant @s_full("full sum\0A\00")
llvm.mlir.global internal constant @s_squares("outer and inner squares\0A\00")
llvm.mlir.global internal constant @s_minima("middle minima\0A\00")

// out[j] += sum_i in[i, j] (the reduction across memory).
func.func @column_sums(%in: memref<37x5xf32>, %out: memref<5xf32>) {
  linalg.generic {indexing_maps = [#id2, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%in : memref<37x5xf32>) outs(%out : memref<5xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// out[i] = max(out[i], max_k in[i, k]) (the reduction along memory; main
// makes each row's maximum unique).
func.func @row_maxima(%in: memref<3x37xf64>, %out: memref<3xf64>) {
  linalg.generic {indexing_maps = [#id2, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%in : memref<3x37xf64>) outs(%out : memref<3xf64>) {
  ^bb0(%x: f64, %acc: f64):
    %m = arith.maximumf %acc, %x : f64
    linalg.yield %m : f64
  }
  return
}

// out += sum of in[i, j] * in[i, j]^T-ish over everything (two inputs, two
// reduction loops, a 0-d output).
func.func @full_sum(%a: memref<13x11xf32>, %b: memref<11x13xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#id2, affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : memref<13x11xf32>, memref<11x13xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// out[j] += sum over i and k of in[i, j, k]^2, in i64.
func.func @outer_and_inner_squares(%in: memref<5x4x7xi64>, %out: memref<4xi64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (j)>],
                  iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%in : memref<5x4x7xi64>) outs(%out : memref<4xi64>) {
  ^bb0(%x: i64, %acc: i64):
    %sq = arith.muli %x, %x : i64
    %s = arith.addi %acc, %sq : i64
    linalg.yield %s : i64
  }
  return
}

// out[i, k] = min(out[i, k], min_j in[i, j, k]).
func.func @middle_minima(%in: memref<4x9x3xf32>, %out: memref<4x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%in : memref<4x9x3xf32>) outs(%out : memref<4x3xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.minimumf %acc, %x : f32
    linalg.yield %m : f32
  }
  return
}

// out[i] += sum_k (100 i + k + ones[k]), k < 100.
func.func @index_sums(%ones: memref<100xi64>, %out: memref<3xi64>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%ones : memref<100xi64>) outs(%out : memref<3xi64>) {
  ^bb0(%one: i64, %acc: i64):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c100 = arith.constant 100 : index
    %r = arith.muli %i, %c100 : index
    %v = arith.addi %r, %k : index
    %w = arith.index_cast %v : index to i64
    %t = arith.addi %w, %one : i64
    %s = arith.addi %acc, %t : i64
    linalg.yield %s : i64
  }
  return
}

// in[i, j] = ((7 i + 3 j) mod p) - p / 2: small integers of both signs.
func.func @fill2(%m: memref<?x?xf32>, %p: index) {
  linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]}
      outs(%m : memref<?x?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c7 = arith.constant 7 : index
    %c3 = arith.constant 3 : index
    %c2 = arith.constant 2 : index
    %half = arith.divui %p, %c2 : index
    %a = arith.muli %i, %c7 : index
    %b = arith.muli %j, %c3 : index
    %s = arith.addi %a, %b : index
    %r = arith.remui %s, %p : index
    %d = arith.subi %r, %half : index
    %n = arith.index_cast %d : index to i64
    %f = arith.sitofp %n : i64 to f32
    linalg.yield %f : f32
  }
  return
}

func.func @print(%name: !llvm.ptr) {
  func.call @printString(%name) : (!llvm.ptr) -> ()
  return
}

func.func @main() {
  %one = arith.constant 1.0 : f32
  %lowest = arith.constant -100.0 : f64
  %big = arith.constant 100.0 : f32
  %i0 = arith.constant 3 : i64
  %p11 = arith.constant 11 : index
  %p29 = arith.constant 29 : index

  %idx = memref.alloc() : memref<3xi64>
  %z = arith.constant 0 : i64
  linalg.fill ins(%z : i64) outs(%idx : memref<3xi64>)
  %ones = memref.alloc() : memref<100xi64>
  %c1i = arith.constant 1 : i64
  linalg.fill ins(%c1i : i64) outs(%ones : memref<100xi64>)
  func.call @index_sums(%ones, %idx) : (memref<100xi64>, memref<3xi64>) -> ()
  memref.dealloc %ones : memref<100xi64>
  %pi = llvm.mlir.addressof @s_index : !llvm.ptr
  func.call @print(%pi) : (!llvm.ptr) -> ()
  %idxu = memref.cast %idx : memref<3xi64> to memref<*xi64>
  func.call @printMemrefI64(%idxu) : (memref<*xi64>) -> ()

  %a = memref.alloc() : memref<37x5xf32>
  %ad = memref.cast %a : memref<37x5xf32> to memref<?x?xf32>
  func.call @fill2(%ad, %p11) : (memref<?x?xf32>, index) -> ()
  %cs = memref.alloc() : memref<5xf32>
  linalg.fill ins(%one : f32) outs(%cs : memref<5xf32>)
  func.call @column_sums(%a, %cs) : (memref<37x5xf32>, memref<5xf32>) -> ()
  %pc = llvm.mlir.addressof @s_columns : !llvm.ptr
  func.call @print(%pc) : (!llvm.ptr) -> ()
  %csu = memref.cast %cs : memref<5xf32> to memref<*xf32>
  func.call @printMemrefF32(%csu) : (memref<*xf32>) -> ()

  // The fill right before is folded into the split reduction.
  %cm = memref.alloc() : memref<5xf32>
  %m50 = arith.constant -50.0 : f32
  linalg.fill ins(%m50 : f32) outs(%cm : memref<5xf32>)
  linalg.generic {indexing_maps = [#id2, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<37x5xf32>) outs(%cm : memref<5xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %jj = linalg.index 1 : index
    %ji = arith.index_cast %jj : index to i64
    %jf = arith.sitofp %ji : i64 to f32
    %y = arith.mulf %x, %jf : f32
    %m = arith.maximumf %acc, %y : f32
    linalg.yield %m : f32
  }
  %pcm = llvm.mlir.addressof @s_colmax : !llvm.ptr
  func.call @print(%pcm) : (!llvm.ptr) -> ()
  %cmu = memref.cast %cm : memref<5xf32> to memref<*xf32>
  func.call @printMemrefF32(%cmu) : (memref<*xf32>) -> ()
  memref.dealloc %cm : memref<5xf32>

  %b = memref.alloc() : memref<3x37xf32>
  %bd = memref.cast %b : memref<3x37xf32> to memref<?x?xf32>
  func.call @fill2(%bd, %p11) : (memref<?x?xf32>, index) -> ()
  %b64 = memref.alloc() : memref<3x37xf64>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<3x37xf32>) outs(%b64 : memref<3x37xf64>) {
  ^bb0(%x: f32, %o: f64):
    %e = arith.extf %x : f32 to f64
    %k = linalg.index 1 : index
    %ki = arith.index_cast %k : index to i64
    %kf = arith.sitofp %ki : i64 to f64
    %h = arith.constant 100.0 : f64
    %eh = arith.mulf %e, %h : f64
    %u = arith.addf %eh, %kf : f64
    linalg.yield %u : f64
  }
  %rm = memref.alloc() : memref<3xf64>
  linalg.fill ins(%lowest : f64) outs(%rm : memref<3xf64>)
  func.call @row_maxima(%b64, %rm) : (memref<3x37xf64>, memref<3xf64>) -> ()
  %pr = llvm.mlir.addressof @s_rows : !llvm.ptr
  func.call @print(%pr) : (!llvm.ptr) -> ()
  %rmu = memref.cast %rm : memref<3xf64> to memref<*xf64>
  func.call @printMemrefF64(%rmu) : (memref<*xf64>) -> ()

  %c = memref.alloc() : memref<13x11xf32>
  %cd = memref.cast %c : memref<13x11xf32> to memref<?x?xf32>
  func.call @fill2(%cd, %p11) : (memref<?x?xf32>, index) -> ()
  %d = memref.alloc() : memref<11x13xf32>
  %dd = memref.cast %d : memref<11x13xf32> to memref<?x?xf32>
  func.call @fill2(%dd, %p11) : (memref<?x?xf32>, index) -> ()
  %fs = memref.alloc() : memref<f32>
  linalg.fill ins(%one : f32) outs(%fs : memref<f32>)
  func.call @full_sum(%c, %d, %fs) : (memref<13x11xf32>, memref<11x13xf32>, memref<f32>) -> ()
  %pf = llvm.mlir.addressof @s_full : !llvm.ptr
  func.call @print(%pf) : (!llvm.ptr) -> ()
  %fsu = memref.cast %fs : memref<f32> to memref<*xf32>
  func.call @printMemrefF32(%fsu) : (memref<*xf32>) -> ()

  %e = memref.alloc() : memref<5x4x7xi64>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%e : memref<5x4x7xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %k = linalg.index 2 : index
    %s1 = arith.addi %i, %j : index
    %c2 = arith.constant 2 : index
    %k2 = arith.muli %k, %c2 : index
    %s2 = arith.subi %s1, %k2 : index
    %n = arith.index_cast %s2 : index to i64
    linalg.yield %n : i64
  }
  %sq = memref.alloc() : memref<4xi64>
  linalg.fill ins(%i0 : i64) outs(%sq : memref<4xi64>)
  func.call @outer_and_inner_squares(%e, %sq) : (memref<5x4x7xi64>, memref<4xi64>) -> ()
  %ps = llvm.mlir.addressof @s_squares : !llvm.ptr
  func.call @print(%ps) : (!llvm.ptr) -> ()
  %squ = memref.cast %sq : memref<4xi64> to memref<*xi64>
  func.call @printMemrefI64(%squ) : (memref<*xi64>) -> ()

  %g = memref.alloc() : memref<4x9x3xf32>
  %gc = memref.collapse_shape %g [[0], [1, 2]] : memref<4x9x3xf32> into memref<4x27xf32>
  %gd = memref.cast %gc : memref<4x27xf32> to memref<?x?xf32>
  func.call @fill2(%gd, %p29) : (memref<?x?xf32>, index) -> ()
  %mm = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%big : f32) outs(%mm : memref<4x3xf32>)
  func.call @middle_minima(%g, %mm) : (memref<4x9x3xf32>, memref<4x3xf32>) -> ()
  %pm = llvm.mlir.addressof @s_minima : !llvm.ptr
  func.call @print(%pm) : (!llvm.ptr) -> ()
  %mmu = memref.cast %mm : memref<4x3xf32> to memref<*xf32>
  func.call @printMemrefF32(%mmu) : (memref<*xf32>) -> ()

  memref.dealloc %idx : memref<3xi64>
  memref.dealloc %a : memref<37x5xf32>
  memref.dealloc %cs : memref<5xf32>
  memref.dealloc %b : memref<3x37xf32>
  memref.dealloc %b64 : memref<3x37xf64>
  memref.dealloc %rm : memref<3xf64>
  memref.dealloc %c : memref<13x11xf32>
  memref.dealloc %d : memref<11x13xf32>
  memref.dealloc %fs : memref<f32>
  memref.dealloc %e : memref<5x4x7xi64>
  memref.dealloc %sq : memref<4xi64>
  memref.dealloc %g : memref<4x9x3xf32>
  memref.dealloc %mm : memref<4x3xf32>
  return
}
