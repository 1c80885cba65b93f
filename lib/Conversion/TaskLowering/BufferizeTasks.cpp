//===- BufferizeTasks.cpp - kernels and scheduled steps on buffers --------===//
//
// The form every backend starts from: task kernels bufferized, and each step
// rebuilt with tasks calling them on buffers, each task result freed in the
// first task that runs after all its readers (TaskOrder::planFrees).
// Computed once here, for the CPU, the GPU and any later backend alike.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Analysis/TaskOrder.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"
#include "pareprop/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

namespace pareprop {
#define GEN_PASS_DEF_REVBUFFERIZETASKS
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// A small buffer that a function allocates in its entry block and frees in
/// the same block lives no longer than the call: it becomes a stack
/// allocation, freed with the frame. This takes the per-call index and flag
/// arrays of the ownership-based deallocation (and small temporaries) off
/// the heap; buffers in loops, returned or freed elsewhere stay where they
/// are.
void promoteFunctionScopedBuffers(func::FuncOp fn, int64_t maxBytes) {
  if (fn.isExternal())
    return;
  Block &entry = fn.getBody().front();
  for (auto alloc : llvm::to_vector(entry.getOps<memref::AllocOp>())) {
    MemRefType type = alloc.getType();
    std::optional<int64_t> bytes = staticBufferBytes(type);
    if (!bytes || *bytes > maxBytes)
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

LogicalResult bufferizeStep(func::FuncOp step, SymbolTable &symbols) {
  TaskOrder order(step);
  llvm::MapVector<Value, int> freedBy = order.planFrees();
  // Task index -> the task results it frees (its own or other tasks').
  DenseMap<unsigned, SmallVector<Value>> freesIn;
  SmallVector<Value> freedAtEnd;
  for (auto [v, freer] : freedBy) {
    if (freer < 0)
      freedAtEnd.push_back(v);
    else
      freesIn[freer].push_back(v);
  }

  Block &oldBody = step.getBody().front();
  OpBuilder b(step);
  SmallVector<Type> inputs, results;
  for (Type t : step.getArgumentTypes())
    inputs.push_back(memrefFor(t));
  for (Type t : step.getResultTypes())
    results.push_back(memrefFor(t));
  auto lowered = func::FuncOp::create(b, step.getLoc(), step.getSymName(),
                                      b.getFunctionType(inputs, results));
  lowered->setDiscardableAttrs(step->getDiscardableAttrDictionary());
  if (ArrayAttr argAttrs = step.getAllArgAttrs())
    lowered.setAllArgAttrs(argAttrs);
  lowered.setVisibility(step.getVisibility());
  Block *entry = lowered.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping map;
  for (auto [o, n] : llvm::zip(oldBody.getArguments(), entry->getArguments()))
    map.map(o, n);

  for (Operation &op : oldBody) {
    if (isConstantOp(&op)) {
      // Constants were cloned into the kernels; one that is returned
      // directly (the zero gradient of an unused argument) gets a buffer.
      bool returned = llvm::any_of(op.getUsers(), [](Operation *u) {
        return !u->getParentOfType<TaskOp>();
      });
      if (!returned)
        continue;
      auto attr = dyn_cast_or_null<SplatElementsAttr>(
          op.getAttrOfType<ElementsAttr>("value"));
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
      auto call = dyn_cast<func::CallOp>(task.getBody().front().front());
      auto kernel = call ? symbols.lookup<func::FuncOp>(call.getCallee())
                         : func::FuncOp();
      if (!kernel || task.getBody().front().getOperations().size() != 2)
        return task.emitOpError("must hold one call of its kernel (run "
                                "rev-outline-tasks first)");
      for (Type t : llvm::concat<const Type>(kernel.getArgumentTypes(),
                                             kernel.getResultTypes()))
        if (isa<TensorType>(t))
          return call.emitOpError("calls @")
                 << kernel.getSymName()
                 << ", whose signature bufferization left on tensors";
      SmallVector<Value> after;
      for (Value tok : task.getAfter())
        after.push_back(map.lookup(tok));
      SmallVector<Type> resultTypes;
      for (Type t : task.getResults().getTypes())
        resultTypes.push_back(memrefFor(t));
      auto newTask =
          TaskOp::create(b, task.getLoc(), task.getStream(), after, resultTypes);
      newTask.setKindAttr(task.getKindAttr());
      newTask.setBlockIndexAttr(task.getBlockIndexAttr());
      newTask->setDiscardableAttrs(task->getDiscardableAttrDictionary());
      OpBuilder inner = OpBuilder::atBlockBegin(&newTask.getBody().front());
      SmallVector<Value> args;
      for (Value v : call.getOperands())
        args.push_back(map.lookup(v));
      auto newCall = func::CallOp::create(inner, call.getLoc(), kernel, args);
      IRMapping own;
      for (auto [o, n] : llvm::zip(call.getResults(), newCall.getResults()))
        own.map(o, n);
      for (auto [r, v] : llvm::zip(task.getResults(),
                                   task.getYield().getValues()))
        own.map(r, own.lookup(v));
      for (Value v : freesIn.lookup(index)) {
        Value buf = v.getDefiningOp() == task ? own.lookup(v) : map.lookup(v);
        memref::DeallocOp::create(inner, task.getLoc(), buf);
      }
      SmallVector<Value> yielded;
      for (Value v : task.getYield().getValues())
        yielded.push_back(own.lookup(v));
      YieldOp::create(inner, task.getYield().getLoc(), yielded);
      map.map(task.getToken(), newTask.getToken());
      for (auto [o, n] : llvm::zip(task.getResults(), newTask.getResults()))
        map.map(o, n);
      continue;
    }
    if (isa<AwaitOp>(op)) {
      b.clone(op, map);
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : freedAtEnd)
        memref::DeallocOp::create(b, ret.getLoc(), map.lookup(v));
      b.clone(op, map);
      continue;
    }
    return op.emitOpError("cannot be lowered outside a rev.task");
  }
  symbols.remove(step);
  step.erase();
  symbols.insert(lowered);
  return success();
}

struct RevBufferizeTasksPass
    : pareprop::impl::RevBufferizeTasksBase<RevBufferizeTasksPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const override {
    RevBufferizeTasksBase::getDependentDialects(registry);
    addKernelBufferizationDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (maxStackBufferBytes < 0) {
      module.emitError("rev-bufferize-tasks: max-stack-buffer-bytes must be "
                       "0 (no stack buffers) or more, not ")
          << int64_t(maxStackBufferBytes);
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> steps = scheduledSteps(module);
    if (failed(bufferizeKernels(module, steps, inlineCalls,
                                [&](OpPassManager &pm, Operation *op) {
                                  return runPipeline(pm, op);
                                })))
      return signalPassFailure();
    if (maxStackBufferBytes > 0)
      for (auto fn : module.getOps<func::FuncOp>())
        if (!llvm::is_contained(steps, fn))
          promoteFunctionScopedBuffers(fn, maxStackBufferBytes);
    SymbolTable symbols(module);
    for (func::FuncOp step : steps)
      if (failed(bufferizeStep(step, symbols)))
        return signalPassFailure();
  }
};
} // namespace
