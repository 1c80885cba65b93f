//===- RevToGPU.cpp - GPU backend: tasks on buffers -> CUDA streams -------===//
//
// A scheduled step on buffers (the shared stages' output) becomes one host
// function that issues GPU work: each schedule stream is one chain of
// !gpu.async.token, cross-stream edges are joins (gpu.wait async [...]),
// loop nests are gpu.launch kernels and stream-ordered library calls (cuBLAS
// products) take the stream's token. This file threads the streams; how a
// loop nest becomes a kernel is LoopKernels.cpp's. See the pass description
// in Conversion/Passes.td and docs/design.md.
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "pareprop/Analysis/TaskOrder.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace pareprop {
#define GEN_PASS_DEF_CONVERTREVTOGPU
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// The ops of the flattened step that belong to one task (or, for the
/// returned constants before the first task, to none), in program order.
struct Segment {
  int task; ///< Index in the TaskOrder, -1 for code outside tasks.
  SmallVector<Operation *> ops;
};

class GpuStepBuilder {
public:
  GpuStepBuilder(func::FuncOp step, SymbolTable &symbols, unsigned threads)
      : step(step), symbols(symbols), threadsPerBlock(threads) {}
  LogicalResult build();

private:
  LogicalResult flatten();
  LogicalResult issue();
  LogicalResult issueOp(Operation *op, int64_t stream);
  LogicalResult launchParallel(scf::ParallelOp loop, int64_t stream);
  LogicalResult launchSingleThread(Operation *op, int64_t stream);
  Value &current(int64_t stream) { return cur[stream]; }

  func::FuncOp step;
  SymbolTable &symbols;
  unsigned threadsPerBlock;

  SmallVector<int64_t> taskStream;
  SmallVector<SmallVector<unsigned>> taskAfter;
  func::FuncOp flat;
  SmallVector<Segment> segments;
  /// Task results no task frees: freed once everything is done.
  SmallVector<memref::DeallocOp> endFrees;
  /// Device buffers issue() creates that live to the end (copies of host
  /// constants, stream anchors).
  SmallVector<Value> freedAtEnd;
  func::ReturnOp ret;

  /// Current token of each stream; streams in order of first use.
  llvm::MapVector<int64_t, Value> cur;
  /// Tokens of streams a join replaced: synchronized and destroyed at the end.
  SmallVector<Value> abandoned;
  SmallVector<Value> endOfTask;
};

/// Builds the step with every task's kernel inlined, each task's ops in one
/// segment: the frees of other tasks' results it holds first, then its
/// kernel's body, then the frees of its own results.
LogicalResult GpuStepBuilder::flatten() {
  TaskOrder order(step);
  for (TaskOp t : order.tasks()) {
    taskStream.push_back(t.getStream());
    SmallVector<unsigned> after;
    for (Value tok : t.getAfter())
      after.push_back(order.indexOf(cast<TaskOp>(tok.getDefiningOp())));
    taskAfter.push_back(after);
  }

  Block &oldBody = step.getBody().front();
  OpBuilder b(step);
  flat = func::FuncOp::create(b, step.getLoc(), step.getSymName(),
                              step.getFunctionType());
  flat->setDiscardableAttrs(step->getDiscardableAttrDictionary());
  if (ArrayAttr argAttrs = step.getAllArgAttrs())
    flat.setAllArgAttrs(argAttrs);
  Block *entry = flat.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping map;
  for (auto [o, n] : llvm::zip(oldBody.getArguments(), entry->getArguments()))
    map.map(o, n);

  auto record = [&](int task, Operation *op) {
    if (segments.empty() || segments.back().task != task)
      segments.push_back({task, {}});
    segments.back().ops.push_back(op);
  };

  for (Operation &op : oldBody) {
    if (auto task = dyn_cast<TaskOp>(op)) {
      int index = order.indexOf(task);
      Block &taskBody = task.getBody().front();
      auto call = cast<func::CallOp>(taskBody.front());
      auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
      SmallVector<memref::DeallocOp> ownFrees;
      for (auto dealloc : taskBody.getOps<memref::DeallocOp>()) {
        if (dealloc.getMemref().getDefiningOp() == call)
          ownFrees.push_back(dealloc);
        else
          record(index, b.clone(*dealloc, map));
      }
      IRMapping inner;
      for (auto [arg, operand] :
           llvm::zip(kernel.getArguments(), call.getOperands()))
        inner.map(arg, map.lookup(operand));
      Block &body = kernel.getBody().front();
      for (Operation &kop : body.without_terminator())
        record(index, b.clone(kop, inner));
      // A task without work still has a segment (its joins and end token).
      if (segments.empty() || segments.back().task != index)
        segments.push_back({index, {}});
      for (auto [r, v] :
           llvm::zip(call.getResults(), body.getTerminator()->getOperands()))
        map.map(r, inner.lookupOrDefault(v));
      for (auto [r, v] :
           llvm::zip(task.getResults(), task.getYield().getValues()))
        map.map(r, map.lookup(v));
      for (memref::DeallocOp dealloc : ownFrees)
        record(index, b.clone(*dealloc, map));
      continue;
    }
    if (isa<AwaitOp>(op))
      continue; // The step ends with one synchronization of every stream.
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      // Ops, not values: issue() replaces the allocations they free.
      endFrees.push_back(cast<memref::DeallocOp>(b.clone(op, map)));
      continue;
    }
    if (isa<func::ReturnOp>(op)) {
      ret = cast<func::ReturnOp>(b.clone(op, map));
      continue;
    }
    // Buffers and fills of returned constants.
    record(-1, b.clone(op, map));
  }
  return success();
}

/// Whether `op` only computes on the host: no memory effects and no regions
/// (index arithmetic, constants, views of buffers).
bool staysOnHost(Operation *op) {
  return op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

LogicalResult GpuStepBuilder::launchParallel(scf::ParallelOp loop,
                                             int64_t stream) {
  FailureOr<Value> token =
      launchParallelLoop(loop, current(stream), threadsPerBlock);
  if (failed(token))
    return failure();
  current(stream) = *token;
  return success();
}

LogicalResult GpuStepBuilder::launchSingleThread(Operation *op,
                                                 int64_t stream) {
  FailureOr<Value> token = launchOnOneThread(op, current(stream));
  if (failed(token))
    return failure();
  current(stream) = *token;
  return success();
}

/// Whether a memref is laid out densely in row-major order (a copy between
/// two such of one shape is one memcpy).
bool isDenseRowMajor(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.hasStaticShape() && type.getLayout().isIdentity();
}

LogicalResult GpuStepBuilder::issueOp(Operation *op, int64_t stream) {
  Location loc = op->getLoc();
  OpBuilder b(op);
  auto tokenType = gpu::AsyncTokenType::get(op->getContext());
  if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
    if (!alloc.getSymbolOperands().empty())
      return alloc.emitOpError("with symbol operands cannot be allocated on "
                               "the GPU");
    auto gpuAlloc = gpu::AllocOp::create(
        b, loc, alloc.getType(), tokenType, ValueRange{current(stream)},
        alloc.getDynamicSizes(), ValueRange{}, /*hostShared=*/false);
    current(stream) = gpuAlloc.getAsyncToken();
    alloc.replaceAllUsesWith(gpuAlloc.getMemref());
    alloc.erase();
    return success();
  }
  if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
    current(stream) =
        gpu::DeallocOp::create(b, loc, tokenType, ValueRange{current(stream)},
                               dealloc.getMemref())
            .getAsyncToken();
    dealloc.erase();
    return success();
  }
  if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
    // A constant tensor lives in host memory: the step copies it to the
    // device where it is first needed and frees the copy at the end.
    auto type = global.getType();
    auto gpuAlloc = gpu::AllocOp::create(
        b, loc, type, tokenType, ValueRange{current(stream)}, ValueRange{},
        ValueRange{}, /*hostShared=*/false);
    b.setInsertionPointAfter(op);
    auto copy = gpu::MemcpyOp::create(b, loc, tokenType,
                                      ValueRange{gpuAlloc.getAsyncToken()},
                                      gpuAlloc.getMemref(), global.getResult());
    current(stream) = copy.getAsyncToken();
    global.getResult().replaceAllUsesExcept(gpuAlloc.getMemref(), copy);
    freedAtEnd.push_back(gpuAlloc.getMemref());
    return success();
  }
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    if (isDenseRowMajor(copy.getSource()) &&
        copy.getSource().getType() == copy.getTarget().getType()) {
      current(stream) =
          gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{current(stream)},
                                copy.getTarget(), copy.getSource())
              .getAsyncToken();
      copy.erase();
      return success();
    }
    auto generic =
        linalg::CopyOp::create(b, loc, copy.getSource(), copy.getTarget());
    copy.erase();
    return issueOp(generic, stream);
  }
  if (auto wait = dyn_cast<gpu::WaitOp>(op);
      wait && wait.getAsyncToken() && wait.getAsyncDependencies().empty())
    return success(); // A library call's stream placeholder: see below.
  if (auto call = dyn_cast<func::CallOp>(op)) {
    if (Value placeholder = streamPlaceholder(call)) {
      // The call enqueues on the stream: later work of the stream is
      // ordered after it, so the chain's token stays what it was.
      call->setOperand(0, current(stream));
      placeholder.getDefiningOp()->erase();
      return success();
    }
  }
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (!linalgOp.hasPureBufferSemantics())
      return op->emitOpError("is still on tensors after bufferization");
    IRRewriter rewriter(b);
    rewriter.setInsertionPoint(op);
    if (linalgOp.getNumParallelLoops() == 0) {
      // A full reduction (or a 0-d op): one thread runs its loop nest.
      if (failed(launchSingleThread(op, stream)))
        return failure();
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToLoops(rewriter, linalgOp)))
        return op->emitOpError("cannot be lowered to loops for the GPU");
      op->erase();
      return success();
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      // Parallel loops first, so that they all become the kernel's threads
      // and the reductions run inside each thread.
      SmallVector<unsigned> order;
      for (auto [i, it] : llvm::enumerate(generic.getIteratorTypesArray()))
        if (it == utils::IteratorType::parallel)
          order.push_back(i);
      for (auto [i, it] : llvm::enumerate(generic.getIteratorTypesArray()))
        if (it != utils::IteratorType::parallel)
          order.push_back(i);
      if (!llvm::is_sorted(order)) {
        FailureOr<linalg::GenericOp> swapped =
            linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(swapped))
          return op->emitOpError("cannot put its parallel loops first");
        op = *swapped;
        linalgOp = cast<linalg::LinalgOp>(op);
        rewriter.setInsertionPoint(op);
      }
    }
    FailureOr<linalg::LinalgLoops> loops =
        linalg::linalgOpToParallelLoops(rewriter, linalgOp);
    if (failed(loops))
      return op->emitOpError("cannot be lowered to loops for the GPU");
    // The outermost loop sits where the op was.
    Operation *outer = op->getPrevNode();
    op->erase();
    if (loops->empty() || !outer)
      return success(); // A zero-dimensional op became a plain statement.
    return issueOp(outer, stream);
  }
  if (auto forall = dyn_cast<scf::ForallOp>(op)) {
    IRRewriter rewriter(b);
    scf::ParallelOp loop;
    if (failed(scf::forallToParallelLoop(rewriter, forall, &loop)))
      return forall.emitOpError("cannot become a parallel loop for the GPU");
    return launchParallel(loop, stream);
  }
  if (auto loop = dyn_cast<scf::ParallelOp>(op))
    return launchParallel(loop, stream);
  if (staysOnHost(op))
    return success();
  if (isa<memref::AllocaOp, func::CallOp, bufferization::DeallocOp>(op))
    return op->emitOpError("cannot be lowered to the GPU by "
                           "convert-rev-to-gpu");
  // Loops over ids (embedding gradients), stores of scalars: one thread.
  return launchSingleThread(op, stream);
}

LogicalResult GpuStepBuilder::issue() {
  Block &entry = flat.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  Location loc = flat.getLoc();
  MLIRContext *ctx = flat.getContext();
  auto tokenType = gpu::AsyncTokenType::get(ctx);
  int64_t defaultStream = taskStream.empty() ? 0 : taskStream.front();
  // One CUDA stream per schedule stream, each anchored by a zero-byte
  // allocation: a `gpu.wait async` with no work after it is what the GPU
  // dialect's canonicalization drops from joins and folds away, which would
  // continue one schedule stream on another's CUDA stream.
  SmallVector<int64_t> streams{defaultStream};
  for (int64_t s : taskStream)
    if (!llvm::is_contained(streams, s))
      streams.push_back(s);
  auto anchorType = MemRefType::get({0}, b.getI8Type());
  for (int64_t s : streams) {
    Value created =
        gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
    auto anchor =
        gpu::AllocOp::create(b, loc, anchorType, tokenType, ValueRange{created},
                             ValueRange{}, ValueRange{}, false);
    cur[s] = anchor.getAsyncToken();
    freedAtEnd.push_back(anchor.getMemref());
  }
  endOfTask.assign(taskStream.size(), Value());

  for (Segment &segment : segments) {
    int64_t stream =
        segment.task < 0 ? defaultStream : taskStream[segment.task];
    if (segment.task >= 0) {
      // Cross-stream edges: join the stream with the ends of the tasks it
      // waits for (stream order covers same-stream predecessors).
      SmallVector<Value> deps{current(stream)};
      for (unsigned p : taskAfter[segment.task])
        if (taskStream[p] != stream && !llvm::is_contained(deps, endOfTask[p]))
          deps.push_back(endOfTask[p]);
      if (deps.size() > 1) {
        Operation *first = segment.ops.empty() ? ret : segment.ops.front();
        OpBuilder jb(first);
        abandoned.push_back(current(stream));
        current(stream) =
            gpu::WaitOp::create(jb, first->getLoc(), tokenType, deps)
                .getAsyncToken();
      }
    }
    for (Operation *op : segment.ops)
      if (failed(issueOp(op, stream)))
        return failure();
    if (segment.task >= 0)
      endOfTask[segment.task] = current(stream);
  }

  // Join every stream, free what is left, synchronize and destroy all.
  b.setInsertionPoint(ret);
  Value last;
  if (cur.size() == 1) {
    last = cur.front().second;
  } else {
    SmallVector<Value> ends;
    for (auto &[s, tok] : cur) {
      ends.push_back(tok);
      abandoned.push_back(tok);
    }
    last = gpu::WaitOp::create(b, loc, tokenType, ends).getAsyncToken();
  }
  SmallVector<Value> buffers;
  for (memref::DeallocOp dealloc : endFrees) {
    buffers.push_back(dealloc.getMemref());
    dealloc.erase();
  }
  llvm::append_range(buffers, freedAtEnd);
  for (Value buf : buffers)
    last = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{last}, buf)
               .getAsyncToken();
  SmallVector<Value> all{last};
  llvm::append_range(all, abandoned);
  gpu::WaitOp::create(b, loc, Type(), all);
  return success();
}

LogicalResult GpuStepBuilder::build() {
  if (failed(flatten()))
    return failure();
  symbols.remove(step);
  step.erase();
  symbols.insert(flat);
  return issue();
}

struct ConvertRevToGPUPass
    : pareprop::impl::ConvertRevToGPUBase<ConvertRevToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (threadsPerBlock < 32 || threadsPerBlock > 1024 ||
        threadsPerBlock % 32 != 0) {
      module.emitError("convert-rev-to-gpu: threads-per-block must be a "
                       "multiple of 32 between 32 and 1024, not ")
          << static_cast<uint64_t>(threadsPerBlock);
      return signalPassFailure();
    }
    if (failed(verifyBufferStep(module, getArgument())))
      return signalPassFailure();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> steps = scheduledSteps(module);
    if (steps.empty())
      return;
    for (func::FuncOp step : steps) {
      // The builder looks kernels up by name; the step it replaces goes.
      GpuStepBuilder builder(step, symbols, threadsPerBlock);
      if (failed(builder.build()))
        return signalPassFailure();
    }
    // Kernels and the functions they called are inlined into the steps.
    bool erased = true;
    while (erased) {
      erased = false;
      for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
        if (!fn.isPrivate() || fn.isExternal() ||
            !SymbolTable::symbolKnownUseEmpty(fn, module))
          continue;
        symbols.erase(fn);
        erased = true;
      }
    }
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(module.getContext()));
  }
};

} // namespace
