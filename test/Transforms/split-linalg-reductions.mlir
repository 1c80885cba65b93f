// RUN: pareprop-opt %s -split-input-file -pareprop-split-linalg-reductions | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -pareprop-split-linalg-reductions=target-threads=1 | FileCheck %s --check-prefix=NOSPLIT

// Column sums (the reduction runs across memory): 768 outputs, 1576 rows,
// 65536 target threads -> 86 slices, the slice the slowest dimension so
// that consecutive threads read consecutive columns; then one combine per
// output starting from the output's own value.
// CHECK-LABEL: func.func @column_sums
// CHECK:       %[[PART:.*]] = memref.alloc() : memref<86x768xf32>
// CHECK-DAG:   %[[C86:.*]] = arith.constant 86 : index
// CHECK-DAG:   %[[C768:.*]] = arith.constant 768 : index
// CHECK:       scf.parallel (%[[S:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%[[C86]], %[[C768]])
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[P:.*]] = scf.for %[[K:.*]] = %[[S]] to %{{.*}} step %{{.*}} iter_args(%[[A:.*]] = %[[ZERO]]) -> (f32)
// CHECK:           %[[X:.*]] = memref.load %{{.*}}[%[[K]], %[[J]]] : memref<1576x768xf32>
// CHECK:           %[[N:.*]] = arith.addf %[[A]], %[[X]] : f32
// CHECK:           scf.yield %[[N]]
// CHECK:         memref.store %[[P]], %[[PART]][%[[S]], %[[J]]]
// CHECK:       scf.parallel (%[[J2:.*]]) = (%{{.*}}) to (%{{.*}})
// CHECK:         %[[O:.*]] = memref.load %[[OUT:.*]][%[[J2]]] : memref<768xf32>
// CHECK:         %[[R:.*]] = scf.for %[[S2:.*]] = %{{.*}} to %[[C86_2:.*]] step %{{.*}} iter_args(%[[B:.*]] = %[[O]]) -> (f32)
// CHECK:           %[[Q:.*]] = memref.load %[[PART]][%[[S2]], %[[J2]]]
// CHECK:           arith.addf %[[B]], %[[Q]] : f32
// CHECK:         memref.store %[[R]], %[[OUT]][%[[J2]]]
// CHECK:       memref.dealloc %[[PART]] : memref<86x768xf32>
// CHECK-NOT:   linalg.generic
// With enough threads from the outputs alone, one loop per output carries
// the accumulator from the output's value.
// NOSPLIT-LABEL: func.func @column_sums
// NOSPLIT-NOT:   memref.alloc
// NOSPLIT:       scf.parallel (%[[J:.*]]) =
// NOSPLIT:         %[[O:.*]] = memref.load %[[OUT:.*]][%[[J]]] : memref<768xf32>
// NOSPLIT:         %[[R:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[O]]) -> (f32)
// NOSPLIT:         memref.store %[[R]], %[[OUT]][%[[J]]]
// NOSPLIT-NOT:   scf.parallel
// NOSPLIT:       return
func.func @column_sums(%in: memref<1576x768xf32>, %out: memref<768xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%in : memref<1576x768xf32>) outs(%out : memref<768xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Row maxima (the reduction runs along memory): the slice is the fastest
// dimension, the partials start from -inf.
// CHECK-LABEL: func.func @row_maxima
// CHECK:       %[[PART:.*]] = memref.alloc() : memref<8x32xf64>
// CHECK:       scf.parallel (%[[I:.*]], %[[S:.*]]) =
// CHECK:         arith.constant 0xFFF0000000000000 : f64
// CHECK:         scf.for %[[K:.*]] = %[[S]] to
// CHECK:           memref.load %{{.*}}[%[[I]], %[[K]]] : memref<8x512xf64>
// CHECK:           arith.maximumf
// CHECK:         memref.store %{{.*}}, %[[PART]][%[[I]], %[[S]]]
// CHECK:       scf.parallel (%[[I2:.*]]) =
// CHECK:           memref.load %[[PART]][%[[I2]], %{{.*}}]
// CHECK:           arith.maximumf
func.func @row_maxima(%in: memref<8x512xf64>, %out: memref<8xf64>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%in : memref<8x512xf64>) outs(%out : memref<8xf64>) {
  ^bb0(%x: f64, %acc: f64):
    %m = arith.maximumf %acc, %x : f64
    linalg.yield %m : f64
  }
  return
}

// -----

// A full reduction of a product of two inputs with two reduction loops
// (the reduced range linearized, the last loop fastest) into a 0-d output:
// the combine is a single iteration.
// CHECK-LABEL: func.func @dot
// CHECK:       %[[PART:.*]] = memref.alloc() : memref<300xf32>
// CHECK:       scf.parallel (%[[S:.*]]) =
// CHECK:         scf.for %[[K:.*]] = %[[S]] to %{{.*}} step %[[C300:.*]] iter_args
// CHECK-DAG:       %[[C:.*]] = arith.constant 100 : index
// CHECK-DAG:       %[[COL:.*]] = arith.remui %[[K]], %[[C]]
// CHECK-DAG:       %[[ROW:.*]] = arith.divui %[[K]], %[[C]]
// CHECK:           %[[A:.*]] = memref.load %{{.*}}[%[[ROW]], %[[COL]]]
// CHECK:           %[[B:.*]] = memref.load %{{.*}}[%[[COL]], %[[ROW]]]
// CHECK:           arith.mulf %[[A]], %[[B]]
// CHECK:           arith.addf
// CHECK:       scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step
// CHECK:         memref.load %[[OUT:.*]][] : memref<f32>
// CHECK:         memref.store %{{.*}}, %[[OUT]][] : memref<f32>
func.func @dot(%a: memref<48x100xf32>, %b: memref<100x48xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : memref<48x100xf32>, memref<100x48xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// linalg.index of a reduction loop is the loop's index at that element.
// CHECK-LABEL: func.func @index_sum
// CHECK:       scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:         %[[I:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK:         arith.addi %{{.*}}, %[[I]] : i64
// An input the payload does not read is not loaded.
// CHECK-NOT:     memref.load %{{.*}} : memref<64xi64>
func.func @index_sum(%unread: memref<64xi64>, %out: memref<4xi64>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%unread : memref<64xi64>) outs(%out : memref<4xi64>) {
  ^bb0(%w: i64, %acc: i64):
    %k = linalg.index 1 : index
    %v = arith.index_cast %k : index to i64
    %s = arith.addi %acc, %v : i64
    linalg.yield %s : i64
  }
  return
}

// -----

// Left alone: tensors, a payload that reads the output beyond combining
// it, an input that is the output, no neutral element.
// CHECK-LABEL: func.func @not_split
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT:     scf.parallel
func.func @not_split(%t: tensor<8x64xf32>, %in: memref<8x64xf32>, %out: memref<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<8x64xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%in : memref<8x64xf32>) outs(%out : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %d = arith.mulf %acc, %acc : f32
    %s = arith.addf %d, %x : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%in, %out : memref<8x64xf32>, memref<8xf32>) outs(%out : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %u = arith.addf %x, %y : f32
    %s = arith.addf %acc, %u : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%in : memref<8x64xf32>) outs(%out : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.subf %acc, %x : f32
    linalg.yield %s : f32
  }
  return %r : tensor<8xf32>
}
