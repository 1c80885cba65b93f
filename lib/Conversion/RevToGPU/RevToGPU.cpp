//===- RevToGPU.cpp - scheduled steps -> GPU kernels on CUDA streams ------===//
//
// A scheduled step becomes one host function that issues GPU work: each
// schedule stream is one chain of !gpu.async.token, cross-stream edges are
// joins (gpu.wait async [...]), loop nests are gpu.launch kernels and matrix
// products calls of the runtime's cuBLAS entry point on the stream's token.
// See the pass description in Conversion/Passes.td and docs/design.md.
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "pareprop/Analysis/TaskOrder.h"
#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"
#include "pareprop/Transforms/Passes.h"
#include "pareprop/Transforms/SplitReductions.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringSwitch.h"

namespace pareprop {
#define GEN_PASS_DEF_CONVERTREVTOGPU
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// Flag bits of pareprop_cuda_contract_*: f32 products may use TF32, or
/// BF16, tensor cores.
constexpr int64_t kTF32Flag = 8;
constexpr int64_t kBF16Flag = 16;

/// The ops of the flattened step that belong to one task (or, for the
/// returned constants before the first task, to none), in program order.
struct Segment {
  int task; ///< Index in the TaskOrder, -1 for code outside tasks.
  SmallVector<Operation *> ops;
};

class GpuStepBuilder {
public:
  /// `f32MathFlag`: the flag bit f32 products get (0: exact f32).
  /// `reductionThreads`: split-linalg-reductions' target (0: no split).
  GpuStepBuilder(func::FuncOp step, SymbolTable &symbols, unsigned threads,
                 int64_t f32MathFlag, int64_t reductionThreads)
      : step(step), symbols(symbols), threadsPerBlock(threads),
        f32MathFlag(f32MathFlag), reductionThreads(reductionThreads) {}
  LogicalResult build();

private:
  LogicalResult flatten();
  LogicalResult issue();
  LogicalResult issueOp(Operation *op, int64_t stream);
  LogicalResult launchParallel(scf::ParallelOp loop, int64_t stream);
  LogicalResult launchSingleThread(Operation *op, int64_t stream);
  LogicalResult launchSplitReduction(linalg::GenericOp op, int64_t stream);
  LogicalResult callContraction(linalg::GenericOp op, bool overwrite,
                                int64_t stream);
  Value &current(int64_t stream) { return cur[stream]; }

  func::FuncOp step;
  SymbolTable &symbols;
  unsigned threadsPerBlock;
  int64_t f32MathFlag;
  int64_t reductionThreads;

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
  linalg::FillOp skippedFill;
};

/// Builds the step on memrefs with every task's kernel inlined, each task's
/// ops in one segment, and task results freed where TaskOrder says.
LogicalResult GpuStepBuilder::flatten() {
  TaskOrder order(step);
  for (TaskOp t : order.tasks()) {
    taskStream.push_back(t.getStream());
    SmallVector<unsigned> after;
    for (Value tok : t.getAfter())
      after.push_back(order.indexOf(cast<TaskOp>(tok.getDefiningOp())));
    taskAfter.push_back(after);
  }
  llvm::MapVector<Value, int> freedBy = order.planFrees();
  DenseMap<int, SmallVector<Value>> freesIn;
  SmallVector<Value> freedAfterAll;
  for (auto [v, freer] : freedBy) {
    if (freer < 0)
      freedAfterAll.push_back(v);
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
  flat = func::FuncOp::create(b, step.getLoc(), step.getSymName(),
                              b.getFunctionType(inputs, results));
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
  auto freeHere = [&](int task, Value old) {
    record(task, memref::DeallocOp::create(b, step.getLoc(), map.lookup(old)));
  };

  for (Operation &op : oldBody) {
    if (isConstantOp(&op)) {
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
      record(-1, buf.getDefiningOp());
      record(-1, linalg::FillOp::create(b, op.getLoc(), scalar, buf));
      map.map(op.getResult(0), buf);
      continue;
    }
    if (auto task = dyn_cast<TaskOp>(op)) {
      int index = order.indexOf(task);
      auto call = cast<func::CallOp>(task.getBody().front().front());
      auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
      SmallVector<Value> ownFrees;
      for (Value v : freesIn.lookup(index)) {
        if (v.getDefiningOp() == task)
          ownFrees.push_back(v);
        else
          freeHere(index, v);
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
           llvm::zip(task.getResults(), body.getTerminator()->getOperands()))
        map.map(r, inner.lookupOrDefault(v));
      for (Value v : ownFrees)
        freeHere(index, v);
      continue;
    }
    if (isa<AwaitOp>(op))
      continue; // The step ends with one synchronization of every stream.
    if (auto oldRet = dyn_cast<func::ReturnOp>(op)) {
      SmallVector<Value> values;
      for (Value v : oldRet.getOperands())
        values.push_back(map.lookup(v));
      // Ops, not values: issue() replaces the allocations they free.
      for (Value v : freedAfterAll)
        endFrees.push_back(
            memref::DeallocOp::create(b, oldRet.getLoc(), map.lookup(v)));
      ret = func::ReturnOp::create(b, oldRet.getLoc(), values);
      continue;
    }
    return op.emitOpError("cannot be lowered outside a rev.task");
  }
  return success();
}

/// Whether `op` only computes on the host: no memory effects and no regions
/// (index arithmetic, constants, views of buffers).
bool staysOnHost(Operation *op) {
  return op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

} // namespace

FailureOr<Value> pareprop::launchParallelLoop(scf::ParallelOp loop, Value token,
                                              unsigned threadsPerBlock) {
  if (!loop.getInitVals().empty())
    return loop.emitOpError("with reductions cannot be lowered to a GPU "
                            "kernel by convert-rev-to-gpu");
  SmallVector<int64_t> lower, upper, steps, counts;
  int64_t total = 1;
  for (auto [lb, ub, st] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(st);
    if (!l || !u || !s || *s <= 0)
      return loop.emitOpError("needs constant loop bounds to become a GPU "
                              "kernel");
    int64_t n = *u > *l ? (*u - *l + *s - 1) / *s : 0;
    lower.push_back(*l);
    steps.push_back(*s);
    counts.push_back(n);
    total *= n;
  }
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  if (total == 0) {
    loop.erase();
    return token;
  }
  int64_t blocks = (total + threadsPerBlock - 1) / threadsPerBlock;
  if (blocks > std::numeric_limits<int32_t>::max())
    return loop.emitOpError("has too many iterations for one GPU grid");
  auto index = [&](OpBuilder &ib, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ib, loc, v);
  };
  Value one = index(b, 1);
  int64_t threads = std::min<int64_t>(threadsPerBlock, total);
  auto launch = gpu::LaunchOp::create(
      b, loc, index(b, blocks), one, one, index(b, threads), one, one,
      /*dynamicSharedMemorySize=*/nullptr,
      gpu::AsyncTokenType::get(b.getContext()), ValueRange{token});

  Block &body = launch.getBody().front();
  OpBuilder kb = OpBuilder::atBlockEnd(&body);
  Value linear = arith::AddIOp::create(
      kb, loc,
      arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                            index(kb, threads)),
      launch.getThreadIds().x);
  Value inRange = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult,
                                        linear, index(kb, total));
  auto guard = scf::IfOp::create(kb, loc, inRange, /*withElseRegion=*/false);
  gpu::TerminatorOp::create(kb, loc);

  OpBuilder gb = guard.getThenBodyBuilder();
  IRMapping map;
  Value rest = linear;
  for (int d = int(counts.size()) - 1; d >= 0; --d) {
    Value n = index(gb, counts[d]);
    Value pos = d == 0 ? rest : arith::RemUIOp::create(gb, loc, rest, n);
    if (d > 0)
      rest = arith::DivUIOp::create(gb, loc, rest, n);
    Value iv = arith::AddIOp::create(
        gb, loc, index(gb, lower[d]),
        arith::MulIOp::create(gb, loc, pos, index(gb, steps[d])));
    map.map(loop.getInductionVars()[d], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    gb.clone(op, map);
  loop.erase();
  return launch.getAsyncToken();
}

namespace {

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
  if (op->getNumResults() != 0)
    return op->emitOpError("produces a value on the host from device memory; "
                           "convert-rev-to-gpu cannot lower it");
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto launch = gpu::LaunchOp::create(
      b, loc, one, one, one, one, one, one, nullptr,
      gpu::AsyncTokenType::get(b.getContext()), ValueRange{current(stream)});
  current(stream) = launch.getAsyncToken();
  Block &body = launch.getBody().front();
  op->moveBefore(&body, body.end());
  OpBuilder kb = OpBuilder::atBlockEnd(&body);
  gpu::TerminatorOp::create(kb, loc);
  return success();
}

LogicalResult GpuStepBuilder::launchSplitReduction(linalg::GenericOp op,
                                                   int64_t stream) {
  // issueOp left this fill alone: the reduction starts from its value.
  linalg::FillOp fill = foldableFillBefore(op);
  Value initialValue = fill ? fill.getInputs()[0] : Value();
  // The split's ops (temporary, loops, free) land between these two.
  Operation *before = fill ? fill->getPrevNode() : op->getPrevNode();
  Block *block = op->getBlock();
  Operation *after = op->getNextNode();
  IRRewriter rewriter(op.getContext());
  // Elements per slice: the pass's default.
  if (failed(splitLinalgReduction(rewriter, op, reductionThreads,
                                  SplitLinalgReductionsOptions().minPerThread,
                                  initialValue)))
    return op.emitOpError("cannot be split into partial reductions");
  if (fill)
    fill.erase();
  Operation *first = before ? before->getNextNode() : &block->front();
  SmallVector<Operation *> created;
  for (Operation *o = first; o != after; o = o->getNextNode())
    created.push_back(o);
  for (Operation *o : created)
    if (failed(issueOp(o, stream)))
      return failure();
  return success();
}

LogicalResult GpuStepBuilder::callContraction(linalg::GenericOp op,
                                              bool overwrite, int64_t stream) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  int64_t flags = op->getAttrOfType<IntegerAttr>(kContractionAttr).getInt();
  if (overwrite)
    flags |= kContractionOverwriteFlag;
  Type elem = cast<MemRefType>(op.getDpsInits()[0].getType()).getElementType();
  if (elem.isF32())
    flags |= f32MathFlag;
  // The runtime's cuBLAS entry point takes the stream's token (the stream,
  // once lowered) before A, B, C and the flags.
  Type unranked = UnrankedMemRefType::get(elem, 0);
  FailureOr<func::FuncOp> fn = declareRuntimeFunction(
      flat->getParentOfType<ModuleOp>(),
      elem.isF64() ? "pareprop_cuda_contract_f64"
                   : "pareprop_cuda_contract_f32",
      b.getFunctionType({gpu::AsyncTokenType::get(b.getContext()), unranked,
                         unranked, unranked, b.getI64Type()},
                        {}));
  if (failed(fn))
    return failure();
  SmallVector<Value> args{current(stream)};
  for (Value v : llvm::concat<Value>(op.getDpsInputs(), op.getDpsInits()))
    args.push_back(memref::CastOp::create(b, loc, unranked, v));
  args.push_back(arith::ConstantIntOp::create(b, loc, flags, 64));
  // The call enqueues on the stream: later work of the stream is ordered
  // after it, so the chain's token stays what it was.
  func::CallOp::create(b, loc, *fn, args);
  op.erase();
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
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    auto next = dyn_cast_or_null<linalg::GenericOp>(fill->getNextNode());
    if (next && isRuntimeContraction(next) && zeroFillBefore(next) == fill) {
      skippedFill = fill; // The product overwrites instead.
      return success();
    }
    // The split reduction after it starts from its value instead.
    if (next && reductionThreads > 0 && whyNotSplittable(next).empty() &&
        foldableFillBefore(next) == fill)
      return success();
  }
  if (auto generic = dyn_cast<linalg::GenericOp>(op);
      generic && isRuntimeContraction(generic)) {
    bool overwrite = skippedFill && zeroFillBefore(generic) == skippedFill;
    if (overwrite) {
      skippedFill.erase();
      skippedFill = nullptr;
    }
    return callContraction(generic, overwrite, stream);
  }
  if (auto generic = dyn_cast<linalg::GenericOp>(op);
      generic && reductionThreads > 0 && whyNotSplittable(generic).empty())
    return launchSplitReduction(generic, stream);
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
  void getDependentDialects(DialectRegistry &registry) const override {
    ConvertRevToGPUBase::getDependentDialects(registry);
    addKernelBufferizationDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (threadsPerBlock < 32 || threadsPerBlock > 1024 ||
        threadsPerBlock % 32 != 0) {
      module.emitError("convert-rev-to-gpu: threads-per-block must be a "
                       "multiple of 32 between 32 and 1024, not ")
          << static_cast<uint64_t>(threadsPerBlock);
      return signalPassFailure();
    }
    if (reductionThreads < 0) {
      module.emitError("convert-rev-to-gpu: reduction-threads must be 0 (no "
                       "split) or more, not ")
          << static_cast<int64_t>(reductionThreads);
      return signalPassFailure();
    }
    int64_t f32MathFlag = llvm::StringSwitch<int64_t>(gemmMath)
                              .Case("f32", 0)
                              .Case("tf32", kTF32Flag)
                              .Case("bf16", kBF16Flag)
                              .Default(-1);
    if (f32MathFlag < 0) {
      module.emitError("convert-rev-to-gpu: gemm-math must be 'f32', 'tf32' "
                       "or 'bf16', not '")
          << gemmMath << "'";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> steps = scheduledSteps(module);
    if (failed(checkCouplingsLowered(module, getArgument())))
      return signalPassFailure();
    SmallVector<std::string> kernelNames;
    if (failed(outlineStepTasks(steps, symbols, &kernelNames)))
      return signalPassFailure();
    if (steps.empty())
      return;
    auto run = [&](OpPassManager &pm, Operation *op) {
      return runPipeline(pm, op);
    };
    if (failed(bufferizeKernels(module, steps, /*inlineCalls=*/true, run)))
      return signalPassFailure();
    // Each kernel is now one function: free its temporaries at their last
    // use (on its stream, so stream order keeps them alive long enough).
    OpPassManager plan(func::FuncOp::getOperationName());
    PlanTemporaryBuffersOptions planOptions;
    planOptions.arenas = false;
    plan.addPass(createPlanTemporaryBuffers(planOptions));
    for (const std::string &name : kernelNames)
      if (auto kernel = symbols.lookup<func::FuncOp>(name))
        if (failed(runPipeline(plan, kernel)))
          return signalPassFailure();

    for (func::FuncOp step : steps) {
      // The builder looks kernels up by name; the step it replaces goes.
      GpuStepBuilder builder(step, symbols, threadsPerBlock, f32MathFlag,
                             reductionThreads);
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
