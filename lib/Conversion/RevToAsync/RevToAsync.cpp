//===- RevToAsync.cpp - scheduled steps -> async on buffers ---------------===//

#include "pareprop/Analysis/TaskOrder.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "pareprop/Transforms/Passes.h"

#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"

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

/// Largest buffer promoteFunctionScopedBuffers puts on the stack.
constexpr int64_t kMaxStackBufferBytes = 4096;

/// A small buffer that a function allocates in its entry block and frees in
/// the same block lives no longer than the call: it becomes a stack
/// allocation, freed with the frame. This takes the per-call index and flag
/// arrays of the ownership-based deallocation (and small temporaries) off
/// the heap; buffers in loops, returned or freed elsewhere stay where they
/// are.
void promoteFunctionScopedBuffers(func::FuncOp fn) {
  if (fn.isExternal())
    return;
  Block &entry = fn.getBody().front();
  for (auto alloc : llvm::to_vector(entry.getOps<memref::AllocOp>())) {
    MemRefType type = alloc.getType();
    std::optional<int64_t> bytes = staticBufferBytes(type);
    if (!bytes || *bytes > kMaxStackBufferBytes)
      continue;
    SmallVector<memref::DeallocOp> deallocs;
    for (Operation *user : alloc->getUsers())
      if (auto dealloc = dyn_cast<memref::DeallocOp>(user))
        deallocs.push_back(dealloc);
    if (deallocs.size() != 1 || deallocs.front()->getBlock() != &entry)
      continue;
    OpBuilder b(alloc);
    auto alloca = memref::AllocaOp::create(b, alloc.getLoc(), type,
                                           alloc.getAlignmentAttr());
    alloc.replaceAllUsesWith(alloca.getResult());
    deallocs.front().erase();
    alloc.erase();
  }
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
  /// Task result -> task that frees it (-1: freed after the final awaits).
  llvm::MapVector<Value, int> freedBy;
};

LogicalResult AsyncStepBuilder::build() {
  TaskOrder order(step);
  SmallVector<TaskOp> tasks(order.tasks());
  freedBy = order.planFrees();
  bool singleStream = llvm::all_of(tasks, [&](TaskOp t) {
    return t.getStream() == tasks.front().getStream();
  });
  Block &oldBody = step.getBody().front();
  MLIRContext *ctx = step.getContext();
  OpBuilder b(ctx);

  SmallVector<Type> inputs, results;
  for (Type t : step.getArgumentTypes())
    inputs.push_back(memrefFor(t));
  for (Type t : step.getResultTypes())
    results.push_back(memrefFor(t));
  b.setInsertionPoint(step);
  auto lowered = func::FuncOp::create(b, step.getLoc(), step.getSymName(),
                                      b.getFunctionType(inputs, results));
  lowered->setDiscardableAttrs(step->getDiscardableAttrDictionary());
  Block *entry = lowered.addEntryBlock();
  b.setInsertionPointToStart(entry);

  // Old value -> memref (function arguments, materialized constants) or
  // !async.value (task results).
  IRMapping map;
  for (auto [o, n] : llvm::zip(oldBody.getArguments(), entry->getArguments()))
    map.map(o, n);
  DenseMap<Operation *, Value> tokenOf;
  DenseMap<int64_t, Value> lastToken;
  // Task index -> the task results it frees (its own or other tasks').
  DenseMap<unsigned, SmallVector<Value>> freesIn;
  SmallVector<Value> freedAtEnd;
  for (auto [v, freer] : freedBy) {
    if (freer < 0)
      freedAtEnd.push_back(v);
    else
      freesIn[freer].push_back(v);
  }

  for (Operation &op : oldBody) {
    if (isConstantOp(&op)) {
      // Constants were cloned into kernels; one that is returned directly
      // (e.g. the zero gradient of an unused argument) gets a buffer here.
      bool returned = llvm::any_of(op.getUsers(), [](Operation *u) {
        return !u->getParentOfType<TaskOp>();
      });
      if (!returned)
        continue;
      auto attr =
          dyn_cast<SplatElementsAttr>(op.getAttrOfType<ElementsAttr>("value"));
      if (!attr)
        return op.emitOpError("only splat constants may be returned from a "
                              "scheduled step");
      auto type = cast<MemRefType>(memrefFor(op.getResult(0).getType()));
      Value buf = memref::AllocOp::create(b, op.getLoc(), type);
      Value scalar = arith::ConstantOp::create(
          b, op.getLoc(), cast<TypedAttr>(attr.getSplatValue<Attribute>()));
      linalg::FillOp::create(b, op.getLoc(), scalar, buf);
      map.map(op.getResult(0), buf);
      continue;
    }
    if (auto task = dyn_cast<TaskOp>(op)) {
      unsigned index = order.indexOf(task);
      auto call = cast<func::CallOp>(task.getBody().front().front());
      SmallVector<Value> deps;
      if (Value prev = lastToken.lookup(task.getStream()))
        deps.push_back(prev);
      for (Value tok : task.getAfter()) {
        Value dep = tokenOf.lookup(tok.getDefiningOp());
        if (!llvm::is_contained(deps, dep))
          deps.push_back(dep);
      }
      // Async operands: other tasks' results read by the call or freed here.
      SmallVector<Value> frees = freesIn.lookup(index);
      SmallVector<Value> asyncOld;
      for (Value v : llvm::concat<Value>(call.getOperands(), frees)) {
        auto producer = v.getDefiningOp<TaskOp>();
        if (producer && producer != task && !llvm::is_contained(asyncOld, v))
          asyncOld.push_back(v);
      }
      SmallVector<Value> asyncNew;
      for (Value v : asyncOld)
        asyncNew.push_back(map.lookup(v));
      SmallVector<Type> resultTypes;
      for (Type t : call.getResultTypes())
        resultTypes.push_back(memrefFor(t));
      auto exec = async::ExecuteOp::create(
          b, task.getLoc(), resultTypes, deps, asyncNew,
          [&](OpBuilder &nb, Location loc, ValueRange unwrapped) {
            IRMapping inner;
            for (auto [o, n] : llvm::zip(asyncOld, unwrapped))
              inner.map(o, n);
            SmallVector<Value> args;
            for (Value v : call.getOperands())
              args.push_back(inner.contains(v) ? inner.lookup(v)
                                               : map.lookup(v));
            if (kernelThreads) {
              // Forward tasks never overlap another stream's work (the
              // backward waits for the loss); neither does anything in a
              // one-stream schedule.
              bool exclusive = singleStream ||
                               task.getKind().value_or("forward") == "forward";
              func::CallOp::create(nb, loc, kKernelThreads, TypeRange(),
                                   ValueRange{arith::ConstantIntOp::create(
                                       nb, loc, exclusive, 64)});
            }
            Value id;
            if (traceTasks) {
              id = arith::ConstantIntOp::create(nb, loc, index, 64);
              func::CallOp::create(nb, loc, kTraceBegin, TypeRange(), id);
            }
            auto newCall = func::CallOp::create(nb, loc, call.getCallee(),
                                                resultTypes, args);
            if (traceTasks)
              func::CallOp::create(nb, loc, kTraceEnd, TypeRange(), id);
            for (auto [o, n] :
                 llvm::zip(task.getResults(), newCall.getResults()))
              inner.map(o, n);
            for (Value v : frees)
              memref::DeallocOp::create(nb, loc, inner.lookup(v));
            async::YieldOp::create(nb, loc, newCall.getResults());
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
    return op.emitOpError("cannot be lowered outside a rev.task");
  }
  step.erase();
  return success();
}

struct ConvertRevToAsyncPass
    : pareprop::impl::ConvertRevToAsyncBase<ConvertRevToAsyncPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const override {
    ConvertRevToAsyncBase::getDependentDialects(registry);
    addKernelBufferizationDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> steps = scheduledSteps(module);
    if (failed(checkCouplingsLowered(module, getArgument())))
      return signalPassFailure();

    if (failed(outlineStepTasks(steps, symbols)))
      return signalPassFailure();
    if (failed(bufferizeKernels(module, steps, /*inlineCalls=*/false,
                                [&](OpPassManager &pm, Operation *op) {
                                  return runPipeline(pm, op);
                                })))
      return signalPassFailure();
    for (auto fn : module.getOps<func::FuncOp>())
      if (!llvm::is_contained(steps, fn))
        promoteFunctionScopedBuffers(fn);
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
