//===- TaskLowering.cpp - shared steps of lowering scheduled tasks --------===//

#include "pareprop/Conversion/TaskLowering.h"

#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

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

} // namespace

bool pareprop::isConstantOp(Operation *op) {
  return op && op->getNumOperands() == 0 &&
         op->hasTrait<OpTrait::ConstantLike>();
}

/// The buffer type of a tensor; scalars (random keys) pass by value.
Type pareprop::memrefFor(Type t) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  if (!tensor)
    return t;
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// A task that yields the same value twice (CSE merged two identical ops in
/// its body) gets one result for it: the lowering gives every task result
/// its own buffer and owner, and two results sharing a buffer would be
/// freed twice.
void pareprop::mergeDuplicateResults(TaskOp task) {
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
LogicalResult pareprop::outlineTask(TaskOp task, StringRef name,
                                    SymbolTable &symbols) {
  Block &body = task.getBody().front();
  auto yield = task.getYield();

  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(task.getBody(), captured);
  SmallVector<Value> args;
  SmallVector<Operation *> constants;
  for (Value v : captured) {
    if (isConstantOp(v.getDefiningOp()))
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
  auto kernel =
      func::FuncOp::create(b, task.getLoc(), name,
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

/// Bufferizes every function except the scheduled steps, in a nested module
/// so that the steps (which One-Shot Bufferize cannot see through) stay out.
LogicalResult pareprop::bufferizeKernels(
    ModuleOp module, ArrayRef<func::FuncOp> steps, bool inlineCalls,
    function_ref<LogicalResult(OpPassManager &, Operation *)> runPipeline) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto nested = ModuleOp::create(b, module.getLoc(), "pareprop_kernels");
  DenseSet<Operation *> keep;
  for (func::FuncOp s : steps)
    keep.insert(s);
  for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
    if (&op != nested && !keep.contains(&op))
      op.moveBefore(nested.getBody(), nested.getBody()->end());

  OpPassManager pm(ModuleOp::getOperationName());
  // Only callables that are not public may be dropped by the inliner once
  // inlined everywhere; the kernels are called from the steps outside.
  SmallVector<func::FuncOp> madePublic;
  if (inlineCalls) {
    for (func::FuncOp step : steps)
      step.walk([&](func::CallOp call) {
        auto callee = nested.lookupSymbol<func::FuncOp>(call.getCallee());
        if (callee && callee.isPrivate() &&
            !llvm::is_contained(madePublic, callee)) {
          callee.setPublic();
          madePublic.push_back(callee);
        }
      });
    pm.addPass(createInlinerPass());
  }
  for (auto fn : nested.getOps<func::FuncOp>())
    copyAliasedResults(fn);
  buildKernelBufferizationPipeline(pm);
  LogicalResult result = runPipeline(pm, nested);
  for (func::FuncOp fn : madePublic)
    fn.setPrivate();

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
void pareprop::buildKernelBufferizationPipeline(OpPassManager &pm) {
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

SmallVector<func::FuncOp> pareprop::scheduledSteps(ModuleOp module) {
  SmallVector<func::FuncOp> steps;
  for (auto fn : module.getOps<func::FuncOp>())
    if (!fn.getBody().empty() && !fn.getBody().front().getOps<TaskOp>().empty())
      steps.push_back(fn);
  return steps;
}

LogicalResult pareprop::checkCouplingsLowered(ModuleOp module,
                                              StringRef passName) {
  WalkResult leftover = module.walk([&](Operation *op) {
    if (isa<BlockOp, RecomputeOp, GradOp>(op) ||
        (op->getDialect() && op->getDialect()->getNamespace() == "nn")) {
      op->emitOpError("must be lowered before ")
          << passName << " (run rev-expand-couplings and convert-nn-to-linalg)";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(leftover.wasInterrupted());
}

LogicalResult
pareprop::outlineStepTasks(ArrayRef<func::FuncOp> steps, SymbolTable &symbols,
                           SmallVectorImpl<std::string> *kernelNames) {
  for (func::FuncOp step : steps) {
    unsigned counter = 0;
    for (TaskOp task : llvm::to_vector(step.getBody().front().getOps<TaskOp>()))
      mergeDuplicateResults(task);
    for (TaskOp task :
         llvm::to_vector(step.getBody().front().getOps<TaskOp>())) {
      std::string name = (step.getSymName() + "_task" + Twine(counter++)).str();
      if (failed(outlineTask(task, name, symbols)))
        return failure();
      if (kernelNames)
        kernelNames->push_back(name);
    }
  }
  return success();
}

DenseSet<Operation *> pareprop::functionsCalledFromTasks(ModuleOp module) {
  SymbolTable symbols(module);
  DenseSet<Operation *> reached;
  SmallVector<Operation *> work;
  auto visit = [&](Operation *root) {
    root->walk([&](func::CallOp call) {
      Operation *callee = symbols.lookup(call.getCallee());
      if (callee && reached.insert(callee).second)
        work.push_back(callee);
    });
  };
  for (func::FuncOp step : scheduledSteps(module))
    for (TaskOp task : step.getBody().front().getOps<TaskOp>())
      visit(task);
  while (!work.empty())
    visit(work.pop_back_val());
  return reached;
}

FailureOr<func::FuncOp> pareprop::declareRuntimeFunction(ModuleOp module,
                                                         StringRef name,
                                                         FunctionType type) {
  // Reports a function of that name and another type itself.
  FailureOr<func::FuncOp> fn = func::lookupFnDecl(module, name, type);
  if (failed(fn))
    return failure();
  if (*fn)
    return *fn;
  if (Operation *existing = SymbolTable::lookupSymbolIn(module, name)) {
    existing->emitOpError("has the name of the runtime function @") << name;
    return failure();
  }
  OpBuilder b(module.getContext());
  return func::createFnDecl(b, module, name, type, /*setPrivate=*/true);
}

void pareprop::addKernelBufferizationDialects(DialectRegistry &registry) {
  OpPassManager pm(ModuleOp::getOperationName());
  buildKernelBufferizationPipeline(pm);
  pm.getDependentDialects(registry);
}
