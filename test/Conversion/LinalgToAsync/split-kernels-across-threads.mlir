// RUN: pareprop-opt %s -pareprop-split-kernels-across-threads="min-iterations=64" -split-input-file | FileCheck %s
// RUN: pareprop-opt %s -pareprop-split-kernels-across-threads -split-input-file | FileCheck %s --check-prefix=DEFAULT

// An elementwise kernel is cut along its first loop: the second half in an
// async.execute (the helper thread, when the runtime says the task runs
// alone), the first half here; otherwise both halves here, the same code,
// so the results do not depend on the helper.
// CHECK-LABEL: func.func private @pareprop_split_kernel_begin() -> i1
// CHECK-LABEL: func.func @elementwise
// CHECK:         %[[SPLIT:.*]] = call @pareprop_split_kernel_begin() : () -> i1
// CHECK:         scf.if %[[SPLIT]] {
// CHECK-DAG:       %[[A2:.*]] = memref.subview %arg0[8, 0] [8, 16] [1, 1]
// CHECK-DAG:       %[[B2:.*]] = memref.subview %arg1[8, 0] [8, 16] [1, 1]
// CHECK:           %[[DONE:.*]] = async.execute {
// CHECK:             func.call @[[HALF:.*]](%[[A2]], %[[B2]])
// CHECK:             async.yield
// CHECK:           }
// CHECK-DAG:       %[[A1:.*]] = memref.subview %arg0[0, 0] [8, 16] [1, 1]
// CHECK-DAG:       %[[B1:.*]] = memref.subview %arg1[0, 0] [8, 16] [1, 1]
// CHECK:           linalg.generic {{.*}} ins(%[[A1]] : {{.*}}) outs(%[[B1]] : {{.*}})
// CHECK:           async.await %[[DONE]] : !async.token
// Without the helper the task runs the same two halves itself.
// CHECK:         } else {
// CHECK-DAG:       %[[E1:.*]] = memref.subview %arg0[0, 0] [8, 16] [1, 1]
// CHECK-DAG:       %[[F1:.*]] = memref.subview %arg1[0, 0] [8, 16] [1, 1]
// CHECK:           linalg.generic {{.*}} ins(%[[E1]] : {{.*}}) outs(%[[F1]] : {{.*}})
// CHECK-DAG:       %[[E2:.*]] = memref.subview %arg0[8, 0] [8, 16] [1, 1]
// CHECK-DAG:       %[[F2:.*]] = memref.subview %arg1[8, 0] [8, 16] [1, 1]
// CHECK:           func.call @[[HALF]](%[[E2]], %[[F2]])
// CHECK-NOT:       linalg.generic {{.*}} ins(%arg0 : memref<16x16xf32>)
// CHECK:         }
// The half for the helper is a function of its own: once its loops are
// branches, an async.execute body must still be one block.
// CHECK:       func.func private @[[HALF]](%{{.*}}: memref<8x16xf32, strided<[16, 1], offset: 128>>, %{{.*}}: memref<8x16xf32, strided<[16, 1], offset: 128>>)
// CHECK-NEXT:    linalg.generic
// CHECK:           math.exp
// Below min-iterations (64Ki by default), kernels stay whole.
// DEFAULT-LABEL: func.func @elementwise
// DEFAULT-NOT:     scf.if
// DEFAULT-NOT:     async.execute
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%a: memref<16x16xf32>, %b: memref<16x16xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x16xf32>) outs(%b : memref<16x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A row reduction with a broadcast operand: cut along the rows; the operand
// that does not use the rows is read whole by both halves.
// CHECK-LABEL: func.func @row_sum
// CHECK:         scf.if
// CHECK:           %[[X2:.*]] = memref.subview %arg0[4, 0] [4, 32] [1, 1]
// CHECK:           %[[S2:.*]] = memref.subview %arg2[4] [4] [1]
// CHECK:           async.execute {
// CHECK:             func.call @{{.*}}(%[[X2]], %arg1, %[[S2]])
#row = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: memref<8x32xf32>, %w: memref<32xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#row, #col, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x, %w : memref<8x32xf32>, memref<32xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The first loop has one iteration: cut along the second.
// CHECK-LABEL: func.func @leading_unit
// CHECK:           memref.subview %arg0[0, 32, 0] [1, 32, 4] [1, 1, 1]
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @leading_unit(%a: memref<1x64x4xf32>, %b: memref<1x64x4xf32>) {
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : memref<1x64x4xf32>) outs(%b : memref<1x64x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// A transpose reads loop d0 as its input's rows and writes it as its
// output's columns: both halves own their part of each.
// CHECK-LABEL: func.func @transpose
// CHECK:           memref.subview %arg0[8, 0] [8, 16] [1, 1]
// CHECK:           memref.subview %arg1[0, 8] [16, 8] [1, 1]
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @transpose(%a: memref<16x16xf32>, %b: memref<16x16xf32>) {
  linalg.generic {indexing_maps = [#id, #t], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x16xf32>) outs(%b : memref<16x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// Left whole: kernels that read linalg.index (their halves would see
// shifted indices), kernels on tensors, and a reduction into a scalar
// (no parallel loop owns the output).
// CHECK-LABEL: func.func @left_whole
// CHECK-NOT:     scf.if
// CHECK-NOT:     async.execute
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#sum = affine_map<(d0, d1) -> ()>
func.func @left_whole(%a: memref<16x16xf32>, %b: memref<16x16xf32>, %c: memref<f32>, %t: tensor<16x16xf32>) -> tensor<16x16xf32> {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<16x16xf32>) outs(%b : memref<16x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %s = arith.addf %x, %f : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction", "reduction"]}
      ins(%a : memref<16x16xf32>) outs(%c : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<16x16xf32>) outs(%t : tensor<16x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  } -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

// A row kernel (an scf.forall on buffers, what convert-nn-to-linalg makes of
// softmax and layer_norm) is cut along its rows: rows [5, 9) run on the
// helper through a function taking the buffers the body reads, rows [0, 5)
// here. Its work is rows times the trip counts of its loops (9 x 2 x 8).
// CHECK-LABEL: func.func @row_kernel
// CHECK:         scf.if
// CHECK:           async.execute {
// CHECK:             func.call @[[ROWS:.*]](%arg0, %arg1)
// CHECK:           scf.forall (%{{.*}}) in (5) {
// CHECK:           async.await
// CHECK:         } else {
// CHECK:           scf.forall (%{{.*}}) in (5) {
// CHECK:           func.call @[[ROWS]](%arg0, %arg1)
// CHECK-NOT:       scf.forall (%{{.*}}) in (9) {
// CHECK:       func.func private @[[ROWS]](%{{.*}}: memref<9x8xf32>, %{{.*}}: memref<9x8xf32>)
// CHECK-DAG:     arith.constant 0.000000e+00 : f32
// CHECK:         scf.forall (%{{.*}}) = (5) to (9) step (1) {
// DEFAULT-LABEL: func.func @row_kernel
// DEFAULT-NOT:     async.execute
func.func @row_kernel(%x: memref<9x8xf32>, %y: memref<9x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.forall (%r) in (9) {
    %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%r, %i] : memref<9x8xf32>
      %s = arith.addf %acc, %v : f32
      scf.yield %s : f32
    }
    scf.for %i = %c0 to %c8 step %c1 {
      %v = memref.load %x[%r, %i] : memref<9x8xf32>
      %d = arith.divf %v, %sum : f32
      memref.store %d, %y[%r, %i] : memref<9x8xf32>
    }
  }
  return
}

// -----

// Row kernels below min-iterations, on tensors (results), or with a
// dynamic row count stay whole.
// CHECK-LABEL: func.func @rows_left_whole
// CHECK-NOT:     scf.if
// CHECK-NOT:     async.execute
// CHECK:         return
func.func @rows_left_whole(%x: memref<9x8xf32>, %t: tensor<64x8xf32>, %n: index) -> tensor<64x8xf32> {
  %zero = arith.constant 0.0 : f32
  scf.forall (%r) in (2) {
    memref.store %zero, %x[%r, %r] : memref<9x8xf32>
  }
  %r = scf.forall (%i) in (64) shared_outs(%o = %t) -> tensor<64x8xf32> {
    %s = tensor.extract_slice %o[%i, 0] [1, 8] [1, 1] : tensor<64x8xf32> to tensor<8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[%i, 0] [1, 8] [1, 1] : tensor<8xf32> into tensor<64x8xf32>
    }
  }
  scf.forall (%i) in (%n) {
    memref.store %zero, %x[%i, %i] : memref<9x8xf32>
  }
  return %r : tensor<64x8xf32>
}
