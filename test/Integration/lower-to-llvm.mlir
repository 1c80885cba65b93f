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

// Ahead-of-time: the output translates to LLVM IR and compiles to an object
// that defines the step and leaves the async runtime to the linker.
// RUN: %python %utils/gen-rev-mlp.py --depth 2 | pareprop-opt -rev-to-llvm | mlir-translate --mlir-to-llvmir | opt -O2 | llc -filetype=obj -o %t.o
// RUN: llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// OBJ-DAG: T loss_step
// OBJ-DAG: U mlirAsyncRuntimeExecute
// OBJ-DAG: U mlirAsyncRuntimeAwaitToken
