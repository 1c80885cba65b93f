//===- VerifyBufferStep.cpp - the contract between shared stages and backends //
//
// What every backend may assume of a scheduled step once the shared stages
// have run (rev-tasks-to-buffers): checked by the rev-verify-buffer-step pass
// and by each backend before it starts.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace pareprop {
#define GEN_PASS_DEF_REVVERIFYBUFFERSTEP
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

Value pareprop::streamPlaceholder(func::CallOp call) {
  if (call.getNumOperands() == 0 ||
      !isa<gpu::AsyncTokenType>(call.getOperand(0).getType()))
    return {};
  return call.getOperand(0);
}

namespace {

bool onBuffers(TypeRange types) {
  return llvm::none_of(types, [](Type t) { return isa<TensorType>(t); });
}

LogicalResult verifyTask(TaskOp task, SymbolTable &symbols,
                         StringRef passName) {
  Block &body = task.getBody().front();
  auto call = dyn_cast<func::CallOp>(body.front());
  auto kernel =
      call ? symbols.lookup<func::FuncOp>(call.getCallee()) : func::FuncOp();
  if (!kernel)
    return task.emitOpError("must hold a call of its kernel function before ")
           << passName << " (run rev-tasks-to-buffers first)";
  if (!onBuffers(kernel.getArgumentTypes()) ||
      !onBuffers(kernel.getResultTypes()))
    return call.emitOpError("calls @")
           << kernel.getSymName() << ", which is on tensors; " << passName
           << " starts from kernels on buffers (run rev-tasks-to-buffers "
              "first)";
  for (Operation &op : llvm::drop_begin(body.getOperations())) {
    if (isa<YieldOp>(op)) {
      for (Value v : op.getOperands())
        if (v.getDefiningOp() != call)
          return op.emitOpError("must yield results of the task's kernel "
                                "call");
      continue;
    }
    if (!isa<memref::DeallocOp>(op))
      return op.emitOpError("cannot follow the kernel call in a task; only "
                            "frees (memref.dealloc) may");
  }
  return success();
}

LogicalResult verifyStep(func::FuncOp step, SymbolTable &symbols,
                         StringRef passName) {
  if (!onBuffers(step.getArgumentTypes()) ||
      !onBuffers(step.getResultTypes()))
    return step.emitOpError("is a scheduled step on tensors; ")
           << passName << " starts from steps on buffers (run "
           << "rev-tasks-to-buffers first)";
  for (Operation &op : step.getBody().front()) {
    if (auto task = dyn_cast<TaskOp>(op)) {
      if (failed(verifyTask(task, symbols, passName)))
        return failure();
      continue;
    }
    if (isa<AwaitOp, memref::AllocOp, memref::DeallocOp, linalg::FillOp,
            func::ReturnOp>(op) ||
        isConstantOp(&op))
      continue;
    return op.emitOpError("cannot be lowered outside a rev.task");
  }
  return success();
}

} // namespace

LogicalResult pareprop::verifyBufferStep(ModuleOp module, StringRef passName) {
  if (failed(checkCouplingsLowered(module, passName)))
    return failure();
  SymbolTable symbols(module);
  for (func::FuncOp step : scheduledSteps(module))
    if (failed(verifyStep(step, symbols, passName)))
      return failure();
  WalkResult calls = module.walk([&](func::CallOp call) {
    Value token = streamPlaceholder(call);
    if (!token)
      return WalkResult::advance();
    auto wait = token.getDefiningOp<gpu::WaitOp>();
    if (!wait || !wait.getAsyncDependencies().empty() ||
        !wait.getAsyncToken() || wait->getBlock() != call->getBlock() ||
        !token.hasOneUse()) {
      call.emitOpError("takes a stream token that is not its own "
                       "placeholder (a 'gpu.wait async' without dependencies "
                       "in its block, used by this call alone)");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(calls.wasInterrupted());
}

namespace {
struct RevVerifyBufferStepPass
    : pareprop::impl::RevVerifyBufferStepBase<RevVerifyBufferStepPass> {
  void runOnOperation() override {
    if (failed(verifyBufferStep(getOperation(), getArgument())))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
