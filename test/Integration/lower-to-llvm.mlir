// One flag takes a model to the LLVM dialect: nothing of rev, nn, linalg,
// tensor, memref or async is left, and the two streams' tasks became
// coroutines driven by MLIR's async runtime.
// RUN: %python %utils/gen-rev-mlp.py --depth 2 | pareprop-opt -rev-to-llvm="policy=pareprop" | FileCheck %s
// RUN: %python %utils/gen-rev-mlp.py --depth 2 | pareprop-opt -rev-to-llvm="mode=stored policy=vanilla" | FileCheck %s

// CHECK-NOT: {{^ *(%.* = )?(rev|nn|linalg|tensor|memref|async|scf|cf|arith|math|func|bufferization)\.}}
// CHECK: llvm.func @loss_step(
// CHECK-NOT: {{^ *(%.* = )?(rev|nn|linalg|tensor|memref|async|scf|cf|arith|math|func|bufferization)\.}}
// CHECK: llvm.call @mlirAsyncRuntimeExecute
// CHECK-NOT: {{^ *(%.* = )?(rev|nn|linalg|tensor|memref|async|scf|cf|arith|math|func|bufferization)\.}}
