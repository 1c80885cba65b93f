// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers="target=gpu reduction-threads=65536" -convert-rev-to-gpu | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers="target=gpu reduction-threads=65536 gemm-math=tf32" -convert-rev-to-gpu | FileCheck %s --check-prefix=TF32
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers="target=gpu reduction-threads=65536 gemm-math=bf16" -convert-rev-to-gpu | FileCheck %s --check-prefix=BF16

// Two streams. Each starts as a `gpu.wait async` anchored by a zero-byte
// allocation; task 1 (stream 1, after task 0) starts with a join of its own
// stream and task 0's end; %b, read on both streams, is freed on stream 0
// in task 2, the first task ordered after both readers; the step ends with
// a join, the leftover frees, and one gpu.wait over every CUDA stream.
// CHECK-LABEL: func.func @two_streams
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>)
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[ANCHOR0:.*]], %[[T0:.*]] = gpu.alloc async [%[[S0]]] () : memref<0xi8>
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: %[[ANCHOR1:.*]], %[[T1:.*]] = gpu.alloc async [%[[S1]]] () : memref<0xi8>
// Task 0 on stream 0: its result, then a kernel of 4 threads writing it.
// CHECK: %[[B:.*]], %[[T2:.*]] = gpu.alloc async [%[[T0]]] () : memref<4xf32>
// CHECK: %[[K0:.*]] = gpu.launch async [%[[T2]]] blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c4{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// CHECK: math.tanh
// CHECK: gpu.terminator
// Task 1 on stream 1 joins task 0.
// CHECK: %[[J1:.*]] = gpu.wait async [%[[T1]], %[[K0]]]
// CHECK: %[[C:.*]], %[[T3:.*]] = gpu.alloc async [%[[J1]]] () : memref<4xf32>
// CHECK: %[[K1:.*]] = gpu.launch async [%[[T3]]]
// CHECK: arith.maximumf
// Task 2 on stream 0 joins task 1 and frees %b and %c there.
// CHECK: %[[J2:.*]] = gpu.wait async [%[[K0]], %[[K1]]]
// CHECK: %[[F1:.*]] = gpu.dealloc async [%[[J2]]] %[[B]]
// CHECK: %[[F2:.*]] = gpu.dealloc async [%[[F1]]] %[[C]]
// CHECK: %[[D:.*]], %[[T4:.*]] = gpu.alloc async [%[[F2]]] () : memref<4xf32>
// CHECK: %[[K2:.*]] = gpu.launch async [%[[T4]]]
// Task 3 (stream 1) reads the argument only: no join.
// CHECK-NOT: gpu.wait async [%[[K1]]
// CHECK: %[[E:.*]], %[[T5:.*]] = gpu.alloc async [%[[K1]]] () : memref<4xf32>
// CHECK: %[[K3:.*]] = gpu.launch async [%[[T5]]]
// The end: join both streams, free the anchors, synchronize every stream.
// CHECK: %[[END:.*]] = gpu.wait async [%[[K2]], %[[K3]]]
// CHECK: %[[G0:.*]] = gpu.dealloc async [%[[END]]] %[[ANCHOR0]]
// CHECK: %[[G1:.*]] = gpu.dealloc async [%[[G0]]] %[[ANCHOR1]]
// CHECK: gpu.wait [%[[G1]], %[[T1]], %[[K0]], %[[K2]], %[[K3]]]
// CHECK: return %[[D]], %[[E]]
// No host-side allocation or loop nest is left in the step.
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.
// CHECK-LABEL: module
func.func @two_streams(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1, %c = rev.task stream 1 after(%t0) {
    %1 = nn.relu %b : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  %t2, %d = rev.task stream 0 after(%t1) {
    %2 = nn.add %b, %c : tensor<4xf32>, tensor<4xf32>
    rev.yield %2 : tensor<4xf32>
  } -> tensor<4xf32>
  %t3, %e = rev.task stream 1 {
    %3 = nn.scale %a by 2.0 : tensor<4xf32>
    rev.yield %3 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t2, %t3
  return %d, %e : tensor<4xf32>, tensor<4xf32>
}

// -----

// A product becomes a call of the runtime's cuBLAS entry point that takes
// the stream's token; the zero fill it would accumulate onto goes (flag 4:
// overwrite). A reduction with too little to split (16 elements per
// output) keeps one thread per output, its accumulator in a register.
// CHECK-LABEL: func.func private @pareprop_cuda_contract_f32(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
// CHECK-LABEL: func.func @product
// CHECK: %[[P:.*]], %[[T:.*]] = gpu.alloc async [%{{.*}}] () : memref<8x16xf32>
// CHECK-NOT: gpu.launch
// CHECK: %[[FLAGS:.*]] = arith.constant 4 : i64
// CHECK: call @pareprop_cuda_contract_f32(%[[T]], %{{.*}}, %{{.*}}, %{{.*}}, %[[FLAGS]])
// The zero fill of the sum's output is where the sum starts, not a kernel.
// CHECK: %[[S:.*]], %[[T2:.*]] = gpu.alloc async [%[[T]]] () : memref<8xf32>
// CHECK: %[[SUM:.*]] = gpu.launch async [%[[T2]]] {{.*}} threads({{.*}}) in ({{.*}} = %c8
// CHECK-NOT: memref.load %[[S]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROF:cst[_0-9]*]])
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: gpu.terminator
// The product's buffer is freed on the stream after its last reader.
// CHECK: gpu.dealloc async [%[[SUM]]] %[[P]]
// Tensor-core math is a flag of the call: overwrite (4) + TF32 (8) or
// BF16 (16).
// TF32-LABEL: func.func @product
// TF32: %[[FLAGS:.*]] = arith.constant 12 : i64
// TF32: call @pareprop_cuda_contract_f32({{.*}}, %[[FLAGS]])
// BF16-LABEL: func.func @product
// BF16: %[[FLAGS:.*]] = arith.constant 20 : i64
// BF16: call @pareprop_cuda_contract_f32({{.*}}, %[[FLAGS]])
func.func @product(%x: tensor<8x32xf32>, %w: tensor<32x16xf32>) -> tensor<8xf32> attributes {rev.training_step} {
  %t0, %s = rev.task stream 0 {
    %0 = nn.matmul %x, %w : tensor<8x32xf32>, tensor<32x16xf32>
    %1 = nn.sum %0 dims [1] : tensor<8x16xf32>
    rev.yield %1 : tensor<8xf32>
  } -> tensor<8xf32>
  rev.await %t0
  return %s : tensor<8xf32>
}

// -----

// 300 elements: 2 blocks of 256 threads by default, 5 of 64 with
// threads-per-block=64; the tail threads are guarded.
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers="target=gpu reduction-threads=65536" -convert-rev-to-gpu=threads-per-block=64 | FileCheck %s --check-prefix=T64
// CHECK-LABEL: func.func @grid
// CHECK-DAG: %[[B2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[T256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch async [%{{.*}}] blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[B2]], {{.*}} threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[T256]],
// CHECK: %[[N:.*]] = arith.constant 300 : index
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]]
// T64-LABEL: func.func @grid
// T64-DAG: %[[B5:.*]] = arith.constant 5 : index
// T64-DAG: %[[T64:.*]] = arith.constant 64 : index
// T64: gpu.launch async [%{{.*}}] blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[B5]], {{.*}} threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[T64]],
func.func @grid(%a: tensor<300xf32>) -> tensor<300xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<300xf32>
    rev.yield %0 : tensor<300xf32>
  } -> tensor<300xf32>
  rev.await %t0
  return %b : tensor<300xf32>
}

// -----

// Reductions are split into partials (one thread per output and slice,
// into a temporary on the stream) and a combine (one thread per output):
// column sums of 64 rows give 512 outputs 4 slices of 16 rows, a full sum
// 1024 slices of 32 elements. With reduction-threads=0, one thread per
// output (a full sum: one thread) runs the whole reduction.
// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -rev-tasks-to-buffers="target=gpu reduction-threads=0" -convert-rev-to-gpu | FileCheck %s --check-prefix=SEQ
// CHECK-LABEL: func.func @sums
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT: gpu.launch
// CHECK: %[[PART:.*]], %[[T:.*]] = gpu.alloc async [%{{.*}}] () : memref<4x512xf32>
// CHECK: %[[P:.*]] = gpu.launch async [%[[T]]] {{.*}} threads({{.*}}) in ({{.*}} = %c256
// CHECK:   arith.cmpi ult, %{{.*}}, %c2048
// CHECK:   scf.for {{.*}} step %c4
// CHECK:   memref.store %{{.*}}, %[[PART]]
// The combine starts from the zero the output was filled with.
// CHECK: %[[C:.*]] = gpu.launch async [%[[P]]]
// CHECK:   arith.cmpi ult, %{{.*}}, %c512
// CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]])
// CHECK:   memref.load %[[PART]]
// CHECK: gpu.dealloc async [%[[C]]] %[[PART]] : memref<4x512xf32>
// CHECK: %[[FULL:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] () : memref<1024xf32>
// CHECK: gpu.launch async
// CHECK:   scf.for {{.*}} to %c32768 step %c1024
// CHECK:   memref.store %{{.*}}, %[[FULL]]
// CHECK: gpu.launch async
// CHECK:   memref.load %[[FULL]]
// CHECK: gpu.dealloc async [%{{.*}}] %[[FULL]] : memref<1024xf32>
// SEQ-LABEL: func.func @sums
// SEQ-NOT: gpu.alloc async {{.*}} memref<4x512xf32>
// SEQ-NOT: gpu.alloc async {{.*}} memref<1024xf32>
// SEQ: return
func.func @sums(%x: tensor<64x512xf32>) -> (tensor<512xf32>, tensor<f32>) attributes {rev.training_step} {
  %t0, %s, %f = rev.task stream 0 {
    %0 = nn.sum %x dims [0] : tensor<64x512xf32>
    %1 = nn.sum %x dims [0, 1] : tensor<64x512xf32>
    rev.yield %0, %1 : tensor<512xf32>, tensor<f32>
  } -> tensor<512xf32>, tensor<f32>
  rev.await %t0
  return %s, %f : tensor<512xf32>, tensor<f32>
}
