//===- CompiledFunction.h - JIT-compiled training steps ---------*- C++ -*-===//
//
// Compiles a model's training step (or any function of it) through the
// rev-to-llvm pipelines and runs it in process: arguments and results are
// dense row-major buffers, so tools (pareprop-run) and foreign callers (the
// C API behind the Python package) share one calling convention. What the
// compiled code allocates is counted, so a caller can report the peak memory
// of a step.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_EXECUTIONENGINE_COMPILEDFUNCTION_H
#define PAREPROP_EXECUTIONENGINE_COMPILEDFUNCTION_H

#include "pareprop/ExecutionEngine/BufferPool.h"
#include "pareprop/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace pareprop {

/// The pool every compiled function's buffers come from.
BufferPool &compiledCodeBufferPool();

/// Bytes the compiled code holds now, and the most it held since the last
/// resetPeakAllocatedBytes() (process-wide: every compiled function counts).
int64_t liveAllocatedBytes();
int64_t peakAllocatedBytes();
void resetPeakAllocatedBytes();

/// The buffer an argument or result occupies: a tensor's elements densely
/// in row-major order, or one int64_t for an `i64` argument (a seed).
int64_t denseByteSize(mlir::Type type);

/// An index argument out of range (rev-add-index-checks): what PyTorch
/// reports as IndexError. The message names the argument, the element and
/// its value.
class IndexError : public llvm::ErrorInfo<IndexError> {
public:
  static char ID;
  IndexError(std::string message, unsigned argument, int64_t position,
             int64_t value)
      : message(std::move(message)), argument(argument), position(position),
        value(value) {}
  void log(llvm::raw_ostream &os) const override { os << message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }
  std::string message;
  unsigned argument;
  int64_t position, value;
};

/// The index checks of a compiled entry (its rev.index_checks attribute):
/// the check function and, per check, what a message says.
struct IndexChecks {
  struct Check {
    unsigned arg;
    int64_t bound;
    std::optional<int64_t> ignoreIndex;
    std::string what;
  };
  std::string func;
  llvm::SmallVector<Check> checks;
};

/// The index checks `fn` carries, if any.
std::optional<IndexChecks> indexChecksOf(mlir::func::FuncOp fn);

/// A function compiled to native code. Arguments are `tensor<...xT>` (T a
/// float or integer type) or `i64`; results are tensors. With index
/// checks, every call checks the index arguments first and returns an
/// IndexError, without running the function, when one is out of range.
class CompiledFunction {
public:
  CompiledFunction(std::unique_ptr<mlir::ExecutionEngine> engine,
                   std::string name, llvm::SmallVector<mlir::Type> argTypes,
                   llvm::SmallVector<mlir::RankedTensorType> resultTypes,
                   std::optional<IndexChecks> indexChecks = std::nullopt);

  /// Runs once. `args[i]` points at argument i's dense buffer; result i is
  /// copied into the dense buffer `results[i]` and its storage released.
  /// With `peakWithoutResults`, also measures the most bytes the call held
  /// at once in buffers other than its results (for a training step: the
  /// activations, recomputed internals and temporaries, without the
  /// parameter gradients it returns); measure one call at a time.
  llvm::Error invoke(llvm::ArrayRef<const void *> args,
                     llvm::ArrayRef<void *> results,
                     int64_t *peakWithoutResults = nullptr);

  /// Seconds the index check of the last call took (0 without checks).
  double getLastIndexCheckSeconds() const { return lastIndexCheckSeconds; }
  bool hasIndexChecks() const { return indexChecks.has_value(); }

  llvm::ArrayRef<mlir::Type> getArgumentTypes() const { return argTypes; }
  llvm::ArrayRef<mlir::RankedTensorType> getResultTypes() const {
    return resultTypes;
  }

private:
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::string name;
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<mlir::RankedTensorType> resultTypes;
  std::optional<IndexChecks> indexChecks;
  double lastIndexCheckSeconds = 0;

  /// Runs the index check on `packed` arguments: an IndexError or success.
  llvm::Error checkIndices(llvm::ArrayRef<void *> packed);
};

/// The arguments of `fn` as CompiledFunction takes them, or an error naming
/// the first argument it cannot pass (dynamic shapes, non-tensors).
llvm::Expected<llvm::SmallVector<mlir::Type>>
callableArgumentTypes(mlir::func::FuncOp fn);

/// Builds `options`' training step of a clone of `model` (calling
/// `onScheduled` with the scheduled module, before lowering), lowers it to
/// LLVM and JIT-compiles it; `entry` names the function to call (the step
/// is `<loss>_step`). `runtimeLibrary` is PaReprop's async runtime
/// (libpareprop_async_runtime.so). Diagnostics go to the context's handler.
llvm::Expected<std::unique_ptr<CompiledFunction>>
compileFunction(mlir::ModuleOp model, const RevToLLVMOptions &options,
                llvm::StringRef entry, llvm::ArrayRef<mlir::Type> argTypes,
                llvm::ArrayRef<mlir::RankedTensorType> resultTypes,
                llvm::StringRef runtimeLibrary,
                llvm::function_ref<void(mlir::ModuleOp)> onScheduled = {});

/// The training step of the loss function `loss`: its argument types, and
/// the results (loss, then the gradient of each argument without
/// rev.no_grad, in order).
struct TrainingStepSignature {
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<unsigned> gradArgs;
  llvm::SmallVector<mlir::RankedTensorType> resultTypes;
  std::optional<IndexChecks> indexChecks;
  double lastIndexCheckSeconds = 0;

  /// Runs the index check on `packed` arguments: an IndexError or success.
  llvm::Error checkIndices(llvm::ArrayRef<void *> packed);
};
llvm::Expected<TrainingStepSignature>
trainingStepSignature(mlir::func::FuncOp loss);

/// The public function of `model` that holds rev.block ops, or the one
/// named `name` when it is not empty.
llvm::Expected<mlir::func::FuncOp> findLossFunction(mlir::ModuleOp model,
                                                    llvm::StringRef name);

} // namespace pareprop

#endif // PAREPROP_EXECUTIONENGINE_COMPILEDFUNCTION_H
