//===- RevToAsync.cpp - scheduled steps -> async on buffers ---------------===//

#include "pareprop/Conversion/Passes.h"
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

bool isConstant(Operation *op) {
  return op && op->getNumOperands() == 0 &&
         op->hasTrait<OpTrait::ConstantLike>();
}

/// The buffer type of a tensor; scalars (random keys) pass by value.
Type memrefFor(Type t) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  if (!tensor)
    return t;
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// Runtime entry points that record a task's start and end (trace-tasks).
constexpr llvm::StringLiteral kTraceBegin = "pareprop_trace_begin";
constexpr llvm::StringLiteral kTraceEnd = "pareprop_trace_end";
/// Runtime entry point that sets how many threads a task's kernels use.
constexpr llvm::StringLiteral kKernelThreads = "pareprop_kernel_threads";

/// Declares runtime functions taking one i64.
void declareRuntimeFunctions(ModuleOp module, SymbolTable &symbols,
                             ArrayRef<StringRef> names) {
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  for (StringRef name : names) {
    if (symbols.lookup(name))
      continue;
    auto fn = func::FuncOp::create(
        b, module.getLoc(), name,
        b.getFunctionType({b.getI64Type()}, {}));
    fn.setPrivate();
    symbols.insert(fn);
  }
}

/// A task that yields the same value twice (CSE merged two identical ops in
/// its body) gets one result for it: the lowering gives every task result
/// its own buffer and owner, and two results sharing a buffer would be
/// freed twice.
void mergeDuplicateResults(TaskOp task) {
  YieldOp yield = task.getYield();
  DenseMap<Value, unsigned> slot;
  SmallVector<Value> kept;
  SmallVector<unsigned> slotOf;
  for (Value v : yield.getValues()) {
    auto [it, inserted] = slot.try_emplace(v, kept.size());
    if (inserted)
      kept.push_back(v);
    slotOf.push_back(it->second);
  }
  if (kept.size() == slotOf.size())
    return;
  OpBuilder b(task);
  auto merged = TaskOp::create(b, task.getLoc(), task.getStream(),
                               task.getAfter(), ValueRange(kept).getTypes());
  merged.setKindAttr(task.getKindAttr());
  merged.setBlockIndexAttr(task.getBlockIndexAttr());
  merged->setDiscardableAttrs(task->getDiscardableAttrDictionary());
  merged.getBody().takeBody(task.getBody());
  merged.getYield()->setOperands(kept);
  task.getToken().replaceAllUsesWith(merged.getToken());
  for (auto [result, s] : llvm::zip(task.getResults(), slotOf))
    result.replaceAllUsesWith(merged.getResults()[s]);
  task.erase();
}

/// Moves the body of `task` into a private function and leaves a call.
LogicalResult outlineTask(TaskOp task, StringRef name, SymbolTable &symbols) {
  Block &body = task.getBody().front();
  auto yield = task.getYield();

  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(task.getBody(), captured);
  SmallVector<Value> args;
  SmallVector<Operation *> constants;
  for (Value v : captured) {
    if (isConstant(v.getDefiningOp()))
      constants.push_back(v.getDefiningOp());
    else
      args.push_back(v);
  }
  for (Value v : args)
    if (!isa<RankedTensorType, IntegerType, FloatType, IndexType>(v.getType()))
      return task.emitOpError("captures a value of type ")
             << v.getType() << "; tasks may only read tensors and scalars";

  OpBuilder b(task.getContext());
  b.setInsertionPoint(task->getParentOfType<func::FuncOp>());
  SmallVector<Value> yielded(yield.getValues());
  auto kernel = func::FuncOp::create(
      b, task.getLoc(), name,
      b.getFunctionType(ValueRange(args).getTypes(),
                        ValueRange(yielded).getTypes()));
  kernel.setPrivate();
  symbols.insert(kernel);
  Block *entry = kernel.addEntryBlock();
  IRMapping map;
  for (auto [v, arg] : llvm::zip(args, entry->getArguments()))
    map.map(v, arg);
  b.setInsertionPointToStart(entry);
  for (Operation *c : constants)
    b.clone(*c, map);
  for (Operation &op : body.without_terminator())
    b.clone(op, map);
  SmallVector<Value> results;
  for (Value v : yielded)
    results.push_back(map.lookupOrDefault(v));
  func::ReturnOp::create(b, yield.getLoc(), results);
  for (unsigned i = 0; i < kernel.getNumArguments(); ++i)
    kernel.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      b.getBoolAttr(false));

  // The task now only calls its kernel.
  yield->dropAllReferences();
  while (!body.empty())
    body.back().erase();
  b.setInsertionPointToEnd(&body);
  auto call = func::CallOp::create(b, task.getLoc(), kernel, args);
  YieldOp::create(b, task.getLoc(), call.getResults());
  return success();
}

void buildKernelBufferizationPipeline(OpPassManager &pm);

/// The tensor whose buffer `v` shares once bufferized (through reshapes,
/// casts and slices, which become views).
Value viewRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
             tensor::ExtractSliceOp, tensor::ReshapeOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// A function's caller owns every buffer it returns, and the ownership-based
/// deallocation frees each of them: a function that returns a buffer and a
/// view of it, or one buffer twice, would have it freed twice. Such a view
/// (say a coupling function's saved internal that is a reshape of another)
/// or repeat (two saved internals that CSE merged: `q`, `k` and `v` as the
/// same transpose of one input) is returned as a copy.
void copyAliasedResults(func::FuncOp fn) {
  if (fn.isExternal())
    return;
  for (Block &block : fn.getBody()) {
    auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
    if (!ret)
      continue;
    DenseMap<Value, Value> firstWithRoot;
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      Value v = operand.get();
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type)
        continue;
      auto [it, inserted] = firstWithRoot.try_emplace(viewRoot(v), v);
      if (inserted)
        continue;
      Value empty = tensor::EmptyOp::create(b, ret.getLoc(), type.getShape(),
                                            type.getElementType());
      operand.set(
          linalg::CopyOp::create(b, ret.getLoc(), v, empty).getResult(0));
    }
  }
}

/// Bufferizes every function except the scheduled steps, in a nested module
/// so that the steps (which One-Shot Bufferize cannot see through) stay out.
LogicalResult bufferizeKernels(ModuleOp module, ArrayRef<func::FuncOp> steps,
                               function_ref<LogicalResult(OpPassManager &,
                                                          Operation *)>
                                   runPipeline) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto nested = ModuleOp::create(b, module.getLoc(), "pareprop_kernels");
  DenseSet<Operation *> keep;
  for (func::FuncOp s : steps)
    keep.insert(s);
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (&op != nested && !keep.contains(&op))
      op.moveBefore(nested.getBody(), nested.getBody()->end());

  for (auto fn : nested.getOps<func::FuncOp>())
    copyAliasedResults(fn);
  OpPassManager pm(ModuleOp::getOperationName());
  buildKernelBufferizationPipeline(pm);
  LogicalResult result = runPipeline(pm, nested);

  Operation *anchor = nested;
  for (Operation &op : llvm::make_early_inc_range(*nested.getBody())) {
    op.moveAfter(anchor);
    anchor = &op;
  }
  nested.erase();
  return result;
}

/// One-Shot Bufferize across function boundaries with identity layouts, then
/// ownership-based deallocation (kernels return buffers their caller owns).
void buildKernelBufferizationPipeline(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(options));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // The deallocation inserts bufferization.clone where a kernel returns a
  // buffer it does not own (an argument, a constant); lower it to an
  // allocation and a copy, or it reaches the LLVM translation unconverted.
  pm.addPass(createConvertBufferizationToMemRefPass());
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
  void computeOrder();
  void planDeallocations();

  func::FuncOp step;
  bool traceTasks, kernelThreads;
  SmallVector<TaskOp> tasks;
  DenseMap<Operation *, unsigned> taskIndex;
  /// happensBefore[i]: tasks that finish before task i starts.
  SmallVector<llvm::BitVector> happensBefore;
  /// Task result -> task that frees it (-1: freed after the final awaits).
  llvm::MapVector<Value, int> freedBy;
};

void AsyncStepBuilder::computeOrder() {
  Block &body = step.getBody().front();
  for (TaskOp t : body.getOps<TaskOp>()) {
    taskIndex[t] = tasks.size();
    tasks.push_back(t);
  }
  unsigned n = tasks.size();
  happensBefore.assign(n, llvm::BitVector(n));
  DenseMap<int64_t, int> last;
  for (unsigned i = 0; i < n; ++i) {
    auto addPred = [&](unsigned p) {
      happensBefore[i] |= happensBefore[p];
      happensBefore[i].set(p);
    };
    auto it = last.find(tasks[i].getStream());
    if (it != last.end())
      addPred(it->second);
    for (Value tok : tasks[i].getAfter())
      addPred(taskIndex.lookup(tok.getDefiningOp()));
    last[tasks[i].getStream()] = i;
  }
}

void AsyncStepBuilder::planDeallocations() {
  for (auto [i, task] : llvm::enumerate(tasks)) {
    for (Value r : task.getResults()) {
      if (!isa<RankedTensorType>(r.getType()))
        continue; // Scalars need no freeing.
      SmallVector<unsigned> readers;
      bool escapes = false;
      for (Operation *user : r.getUsers()) {
        auto reader = user->getParentOfType<TaskOp>();
        if (!reader) {
          escapes = true;
          continue;
        }
        readers.push_back(taskIndex.lookup(reader));
      }
      if (escapes)
        continue; // Returned: the caller owns it.
      if (readers.empty()) {
        freedBy[r] = i;
        continue;
      }
      int freer = -1;
      for (unsigned d = i + 1; d < tasks.size() && freer < 0; ++d)
        if (llvm::all_of(readers, [&](unsigned u) {
              return u == d || happensBefore[d].test(u);
            }))
          freer = d;
      freedBy[r] = freer;
    }
  }
}

LogicalResult AsyncStepBuilder::build() {
  computeOrder();
  planDeallocations();
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
  auto lowered =
      func::FuncOp::create(b, step.getLoc(), step.getSymName(),
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
    if (isConstant(&op)) {
      // Constants were cloned into kernels; one that is returned directly
      // (e.g. the zero gradient of an unused argument) gets a buffer here.
      bool returned = llvm::any_of(op.getUsers(), [](Operation *u) {
        return !u->getParentOfType<TaskOp>();
      });
      if (!returned)
        continue;
      auto attr = dyn_cast<SplatElementsAttr>(
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
      unsigned index = taskIndex.lookup(task);
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
              func::CallOp::create(
                  nb, loc, kKernelThreads, TypeRange(),
                  ValueRange{arith::ConstantIntOp::create(nb, loc, exclusive,
                                                          64)});
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
            for (auto [o, n] : llvm::zip(task.getResults(),
                                         newCall.getResults()))
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
        async::AwaitOp::create(b, await.getLoc(), tokenOf.lookup(tok.getDefiningOp()));
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
        Value buf = async::AwaitOp::create(b, ret.getLoc(), map.lookup(v))
                        .getResult();
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
    // The dialects of the bufferization pipeline this pass runs.
    OpPassManager pm(ModuleOp::getOperationName());
    buildKernelBufferizationPipeline(pm);
    pm.getDependentDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> steps;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.getBody().empty() && !fn.getBody().front().getOps<TaskOp>().empty())
        steps.push_back(fn);
    WalkResult leftover = module.walk([&](Operation *op) {
      if (isa<BlockOp, RecomputeOp, GradOp>(op) ||
          op->getDialect() && op->getDialect()->getNamespace() == "nn") {
        op->emitOpError("must be lowered before convert-rev-to-async (run "
                        "rev-expand-couplings and convert-nn-to-linalg)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      return signalPassFailure();

    for (func::FuncOp step : steps) {
      unsigned counter = 0;
      for (TaskOp task : llvm::to_vector(
               step.getBody().front().getOps<TaskOp>()))
        mergeDuplicateResults(task);
      for (TaskOp task : llvm::to_vector(
               step.getBody().front().getOps<TaskOp>())) {
        std::string name =
            (step.getSymName() + "_task" + Twine(counter++)).str();
        if (failed(outlineTask(task, name, symbols)))
          return signalPassFailure();
      }
    }
    if (failed(bufferizeKernels(
            module, steps, [&](OpPassManager &pm, Operation *op) {
              return runPipeline(pm, op);
            })))
      return signalPassFailure();
    for (auto fn : module.getOps<func::FuncOp>())
      if (!llvm::is_contained(steps, fn))
        promoteFunctionScopedBuffers(fn);
    if (traceTasks && !steps.empty())
      declareRuntimeFunctions(module, symbols, {kTraceBegin, kTraceEnd});
    if (kernelThreads && !steps.empty())
      declareRuntimeFunctions(module, symbols, {kKernelThreads});
    for (func::FuncOp step : steps)
      if (failed(AsyncStepBuilder(step, traceTasks, kernelThreads).build()))
        return signalPassFailure();
  }
};
} // namespace
