//===- RevToAsync.cpp - CPU backend: tasks on buffers -> async.execute ----===//

#include "pareprop/Analysis/TaskOrder.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "mlir/IR/IRMapping.h"

namespace pareprop {
#define GEN_PASS_DEF_CONVERTREVTOASYNC
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// Runtime entry points that record a task's start and end (trace-tasks).
constexpr llvm::StringLiteral kTraceBegin = "pareprop_trace_begin";
constexpr llvm::StringLiteral kTraceEnd = "pareprop_trace_end";
/// Runtime entry point that sets how many threads a task's kernels use.
constexpr llvm::StringLiteral kKernelThreads = "pareprop_kernel_threads";

/// Declares runtime functions taking one i64.
LogicalResult declareRuntimeFunctions(ModuleOp module,
                                      ArrayRef<StringRef> names) {
  auto type = FunctionType::get(
      module.getContext(), {IntegerType::get(module.getContext(), 64)}, {});
  for (StringRef name : names)
    if (failed(declareRuntimeFunction(module, name, type)))
      return failure();
  return success();
}

/// Rebuilds a scheduled step on memrefs with one async.execute per task.
class AsyncStepBuilder {
public:
  AsyncStepBuilder(func::FuncOp step, bool traceTasks, bool kernelThreads)
      : step(step), traceTasks(traceTasks), kernelThreads(kernelThreads) {}
  LogicalResult build();

private:
  func::FuncOp step;
  bool traceTasks, kernelThreads;
};

LogicalResult AsyncStepBuilder::build() {
  TaskOrder order(step);
  SmallVector<TaskOp> tasks(order.tasks());
  bool singleStream = llvm::all_of(tasks, [&](TaskOp t) {
    return t.getStream() == tasks.front().getStream();
  });
  Block &oldBody = step.getBody().front();
  OpBuilder b(step);
  auto lowered = func::FuncOp::create(b, step.getLoc(), step.getSymName(),
                                      step.getFunctionType());
  lowered->setDiscardableAttrs(step->getDiscardableAttrDictionary());
  Block *entry = lowered.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // Old value -> buffer (arguments, buffers of returned constants) or
  // !async.value (task results).
  IRMapping map;
  for (auto [o, n] : llvm::zip(oldBody.getArguments(), entry->getArguments()))
    map.map(o, n);
  DenseMap<Operation *, Value> tokenOf;
  DenseMap<int64_t, Value> lastToken;
  // Frees after the final awaits: done once the returned results are.
  SmallVector<Value> freedAtEnd;

  for (Operation &op : oldBody) {
    if (auto task = dyn_cast<TaskOp>(op)) {
      unsigned index = order.indexOf(task);
      Block &body = task.getBody().front();
      SmallVector<Value> deps;
      if (Value prev = lastToken.lookup(task.getStream()))
        deps.push_back(prev);
      for (Value tok : task.getAfter()) {
        Value dep = tokenOf.lookup(tok.getDefiningOp());
        if (!llvm::is_contained(deps, dep))
          deps.push_back(dep);
      }
      // Async operands: other tasks' results read by the call or freed here.
      SmallVector<Value> asyncOld;
      for (Operation &inner : body)
        for (Value v : inner.getOperands()) {
          auto producer = v.getDefiningOp<TaskOp>();
          if (producer && producer != task && !llvm::is_contained(asyncOld, v))
            asyncOld.push_back(v);
        }
      SmallVector<Value> asyncNew;
      for (Value v : asyncOld)
        asyncNew.push_back(map.lookup(v));
      auto exec = async::ExecuteOp::create(
          b, task.getLoc(), task.getResults().getTypes(), deps, asyncNew,
          [&](OpBuilder &nb, Location loc, ValueRange unwrapped) {
            // The body reads arguments, constants' buffers and unwrapped
            // results of other tasks.
            IRMapping inner;
            for (Operation &kop : body)
              for (Value v : kop.getOperands())
                if (Value n = map.lookupOrNull(v))
                  inner.map(v, n);
            for (auto [o, n] : llvm::zip(asyncOld, unwrapped))
              inner.map(o, n);
            if (kernelThreads) {
              // Forward tasks never overlap another stream's work (the
              // backward waits for the loss); neither does anything in a
              // one-stream schedule.
              bool exclusive = singleStream || task.getKind().value_or(
                                                   rev::TaskKind::Forward) ==
                                                   rev::TaskKind::Forward;
              func::CallOp::create(nb, loc, kKernelThreads, TypeRange(),
                                   ValueRange{arith::ConstantIntOp::create(
                                       nb, loc, exclusive, 64)});
            }
            Value id;
            if (traceTasks)
              id = arith::ConstantIntOp::create(nb, loc, index, 64);
            for (Operation &kop : body) {
              if (auto yield = dyn_cast<YieldOp>(kop)) {
                SmallVector<Value> values;
                for (Value v : yield.getValues())
                  values.push_back(inner.lookup(v));
                async::YieldOp::create(nb, loc, values);
                continue;
              }
              bool isCall = isa<func::CallOp>(kop);
              if (isCall && traceTasks)
                func::CallOp::create(nb, loc, kTraceBegin, TypeRange(), id);
              nb.clone(kop, inner);
              if (isCall && traceTasks)
                func::CallOp::create(nb, loc, kTraceEnd, TypeRange(), id);
            }
          });
      tokenOf[task] = exec.getToken();
      lastToken[task.getStream()] = exec.getToken();
      for (auto [o, n] : llvm::zip(task.getResults(), exec.getBodyResults()))
        map.map(o, n);
      continue;
    }
    if (auto await = dyn_cast<AwaitOp>(op)) {
      for (Value tok : await.getTokens())
        async::AwaitOp::create(b, await.getLoc(),
                               tokenOf.lookup(tok.getDefiningOp()));
      continue;
    }
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op);
        dealloc && dealloc.getMemref().getDefiningOp<TaskOp>()) {
      freedAtEnd.push_back(dealloc.getMemref());
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      SmallVector<Value> values;
      for (Value v : ret.getOperands()) {
        Value n = map.lookup(v);
        if (isa<async::ValueType>(n.getType()))
          n = async::AwaitOp::create(b, ret.getLoc(), n).getResult();
        values.push_back(n);
      }
      for (Value v : freedAtEnd) {
        Value buf =
            async::AwaitOp::create(b, ret.getLoc(), map.lookup(v)).getResult();
        memref::DeallocOp::create(b, ret.getLoc(), buf);
      }
      func::ReturnOp::create(b, ret.getLoc(), values);
      continue;
    }
    // Buffers and fills of returned constants.
    b.clone(op, map);
  }
  step.erase();
  return success();
}

struct ConvertRevToAsyncPass
    : pareprop::impl::ConvertRevToAsyncBase<ConvertRevToAsyncPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(verifyBufferStep(module, getArgument())))
      return signalPassFailure();
    WalkResult streamed = module.walk([&](func::CallOp call) {
      if (!streamPlaceholder(call))
        return WalkResult::advance();
      call.emitOpError("is a stream-ordered library call (cuBLAS); ")
          << getArgument()
          << " runs on the CPU (pareprop-contractions-to-runtime "
             "library=cblas)";
      return WalkResult::interrupt();
    });
    if (streamed.wasInterrupted())
      return signalPassFailure();
    SmallVector<func::FuncOp> steps = scheduledSteps(module);
    if (traceTasks && !steps.empty() &&
        failed(declareRuntimeFunctions(module, {kTraceBegin, kTraceEnd})))
      return signalPassFailure();
    if (kernelThreads && !steps.empty() &&
        failed(declareRuntimeFunctions(module, {kKernelThreads})))
      return signalPassFailure();
    for (func::FuncOp step : steps)
      if (failed(AsyncStepBuilder(step, traceTasks, kernelThreads).build()))
        return signalPassFailure();
  }
};
} // namespace
