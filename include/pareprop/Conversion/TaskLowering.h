//===- TaskLowering.h - shared stages of lowering scheduled steps -*- C++ -*-//
//
// What every backend of a scheduled step shares (the rev-outline-tasks,
// rev-bufferize-tasks and rev-verify-buffer-step
// passes are built from these), and the contract a backend checks before it
// starts (verifyBufferStep).
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_CONVERSION_TASKLOWERING_H
#define PAREPROP_CONVERSION_TASKLOWERING_H

#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseSet.h"

namespace pareprop {

/// A constant without operands (materialized wherever it is used).
bool isConstantOp(mlir::Operation *op);

/// The buffer type of a tensor (identity layout); scalars pass by value.
mlir::Type memrefFor(mlir::Type t);

/// The functions of `module` whose entry block holds rev.tasks.
llvm::SmallVector<mlir::func::FuncOp> scheduledSteps(mlir::ModuleOp module);

/// Reports (at the op) a rev coupling op or nn op left in `module`: the
/// lowering `passName` runs after rev-expand-couplings and
/// convert-nn-to-linalg.
mlir::LogicalResult checkCouplingsLowered(mlir::ModuleOp module,
                                          llvm::StringRef passName);

/// The declaration of runtime function `name` in `module`, created (private)
/// on first use. A symbol of that name that is not this function is
/// reported at it.
mlir::FailureOr<mlir::func::FuncOp>
declareRuntimeFunction(mlir::ModuleOp module, llvm::StringRef name,
                       mlir::FunctionType type);

/// Adds the dialects that buildKernelBufferizationPipeline's passes create.
void addKernelBufferizationDialects(mlir::DialectRegistry &registry);

/// A task that yields the same value twice (CSE merged two identical ops in
/// its body) gets one result for it: every task result gets its own buffer
/// and owner, and two results sharing a buffer would be freed twice.
void mergeDuplicateResults(rev::TaskOp task);

/// Moves the body of `task` into a private function `name` (arguments
/// read-only for bufferization) and leaves a call in the task.
mlir::LogicalResult outlineTask(rev::TaskOp task, llvm::StringRef name,
                                mlir::SymbolTable &symbols);

/// Merges duplicate results of, and outlines, every task of `steps`: the
/// kernel of the i-th task of step S is `S_task<i>`; their names are
/// appended to `kernelNames` when given.
mlir::LogicalResult
outlineStepTasks(llvm::ArrayRef<mlir::func::FuncOp> steps,
                 mlir::SymbolTable &symbols,
                 llvm::SmallVectorImpl<std::string> *kernelNames = nullptr);

/// One-Shot Bufferize across function boundaries with identity layouts, then
/// ownership-based deallocation (kernels return buffers their caller owns).
void buildKernelBufferizationPipeline(mlir::OpPassManager &pm);

/// Bufferizes every function of `module` except `steps` (which One-Shot
/// Bufferize cannot see through), in a nested module. With `inlineCalls`,
/// every call between those functions is inlined first, so each kernel is
/// one function whose buffers' owners are known at compile time.
mlir::LogicalResult
bufferizeKernels(mlir::ModuleOp module,
                 llvm::ArrayRef<mlir::func::FuncOp> steps, bool inlineCalls,
                 llvm::function_ref<mlir::LogicalResult(mlir::OpPassManager &,
                                                        mlir::Operation *)>
                     runPipeline);

/// Checks the form every backend starts from (see rev-verify-buffer-step in
/// Conversion/Passes.td): steps on buffers, each task one kernel call and
/// frees, stream-ordered calls on their own placeholder token. Reports the
/// first violation at the op, naming `passName` (the backend).
mlir::LogicalResult verifyBufferStep(mlir::ModuleOp module,
                                     llvm::StringRef passName);

/// The functions that the tasks of scheduled steps call, directly or
/// through other functions of `module` (the code that runs on a stream).
llvm::DenseSet<mlir::Operation *> functionsCalledFromTasks(mlir::ModuleOp module);

/// The placeholder stream token of a stream-ordered library call (its first
/// operand, a !gpu.async.token), or null for any other call.
mlir::Value streamPlaceholder(mlir::func::CallOp call);

} // namespace pareprop

#endif
