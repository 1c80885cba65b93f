//===- PlanTemporaryBuffers.cpp - compile-time offsets for temporaries ----===//
//
// The temporaries of a function (allocated in its entry block and freed
// there by one memref.dealloc) have lifetimes known at compile time. They
// are packed into one arena per segment of the entry block, at offsets from
// pareprop::planBuffers, and become memref.view ops of it.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Transforms/Passes.h"

#include "pareprop/Analysis/BufferPlan.h"

#include "mlir/Dialect/Async/IR/Async.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"

namespace pareprop {
#define GEN_PASS_DEF_PLANTEMPORARYBUFFERS
#include "pareprop/Transforms/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using pareprop::BufferLifetime;
using pareprop::BufferPlan;

std::optional<int64_t> pareprop::staticBufferBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace())
    return std::nullopt;
  Type element = type.getElementType();
  int64_t elementBytes;
  if (element.isIndex())
    elementBytes = 8;
  else if (element.isIntOrFloat())
    elementBytes = (int64_t(element.getIntOrFloatBitWidth()) + 7) / 8;
  else
    return std::nullopt;
  return type.getNumElements() * elementBytes;
}

namespace {

/// The values that name `alloc`'s memory: the buffer, its views and casts,
/// and the base buffer of its strided metadata. False when the memory may
/// outlive what the entry block shows: a value yielded or returned from a
/// region, or taken by an op this does not know to be a view.
bool collectAliases(Value alloc, SmallVectorImpl<Value> &aliases) {
  SmallVector<Value> worklist = {alloc};
  llvm::SmallPtrSet<Value, 8> seen = {alloc};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    aliases.push_back(value);
    for (Operation *user : value.getUsers()) {
      if (user->hasTrait<OpTrait::IsTerminator>())
        return false;
      SmallVector<Value> derived;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == value)
          derived.append(user->result_begin(), user->result_end());
      } else if (auto cast = dyn_cast<memref::CastOp>(user)) {
        derived.push_back(cast.getResult());
      } else if (isa<memref::ExtractAlignedPointerAsIndexOp>(user)) {
        // The address may be compared after the free (the run-time alias
        // checks of ownership-based deallocation do), when another buffer
        // may have it.
        return false;
      } else if (auto metadata =
                     dyn_cast<memref::ExtractStridedMetadataOp>(user)) {
        derived.push_back(metadata.getBaseBuffer());
      } else if (!isa<CallOpInterface>(user)) {
        // A call's memref results are its own (owned by the caller under
        // ownership-based deallocation); any other op producing a memref
        // from this one might alias it in ways not tracked here.
        if (llvm::any_of(user->getResultTypes(), llvm::IsaPred<MemRefType>))
          return false;
      }
      for (Value v : derived)
        if (isa<BaseMemRefType>(v.getType()) && seen.insert(v).second)
          worklist.push_back(v);
    }
  }
  return true;
}

/// A temporary of the entry block: its alloc, its one free, and its
/// lifetime in entry-block positions, from the alloc to the last op that
/// uses the memory (not the free: ownership-based deallocation frees at the
/// end of the block, this pass at the last use).
struct Temporary {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  BufferLifetime lifetime;
  Operation *lastUse;
};

/// The temporary `alloc` makes: one unconditional free in the entry block,
/// after every use of the memory.
std::optional<Temporary>
asTemporary(memref::AllocOp alloc, Block &entry,
            const DenseMap<Operation *, int64_t> &position) {
  SmallVector<Value> aliases;
  if (!collectAliases(alloc.getResult(), aliases))
    return std::nullopt;
  memref::DeallocOp dealloc;
  for (Value alias : aliases)
    for (Operation *user : alias.getUsers())
      if (auto free = dyn_cast<memref::DeallocOp>(user)) {
        if (dealloc || free->getBlock() != &entry)
          return std::nullopt;
        dealloc = free;
      }
  if (!dealloc)
    return std::nullopt;
  Operation *lastUse = alloc;
  for (Value alias : aliases)
    for (Operation *user : alias.getUsers()) {
      if (user == dealloc)
        continue;
      Operation *inEntry = entry.findAncestorOpInBlock(*user);
      if (!inEntry || !inEntry->isBeforeInBlock(dealloc))
        return std::nullopt;
      if (lastUse->isBeforeInBlock(inEntry))
        lastUse = inEntry;
    }
  int64_t bytes = pareprop::staticBufferBytes(alloc.getType()).value_or(-1);
  return Temporary{alloc,
                   dealloc,
                   {bytes, position.lookup(alloc), position.lookup(lastUse)},
                   lastUse};
}

/// Whether `t` may live in an arena of `alignment`-aligned buffers.
bool fitsArena(const Temporary &t, int64_t alignment) {
  memref::AllocOp alloc = t.alloc;
  return t.lifetime.bytes >= 0 && alloc.getDynamicSizes().empty() &&
         alloc.getSymbolOperands().empty() &&
         alloc.getAlignment().value_or(1) <= uint64_t(alignment);
}

/// Whether `op` is or contains a call to a function with a body, which may
/// allocate memory of its own while an arena around it would be held.
bool callsDefinedFunction(Operation *op) {
  WalkResult result = op->walk([&](CallOpInterface call) {
    auto callee =
        llvm::dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee());
    if (!callee)
      return WalkResult::interrupt(); // Indirect: anything may happen.
    auto fn = SymbolTable::lookupNearestSymbolFrom<FunctionOpInterface>(
        call, callee);
    return !fn || !fn.isExternal() ? WalkResult::interrupt()
                                   : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Frees `t` right after its last use.
void freeAtLastUse(Temporary &t) {
  t.dealloc->moveAfter(t.lastUse);
}

/// Packs `group` (two or more temporaries of one segment) into one arena,
/// allocated where the first of them was and freed after the last use of
/// the last of them.
void packIntoArena(MutableArrayRef<Temporary> group, int64_t alignment) {
  SmallVector<BufferLifetime> lifetimes;
  for (const Temporary &t : group)
    lifetimes.push_back(t.lifetime);
  BufferPlan plan = pareprop::planBuffers(lifetimes, alignment);
  Temporary *first = &group.front(), *last = &group.front();
  for (Temporary &t : group) {
    if (t.lifetime.begin < first->lifetime.begin)
      first = &t;
    if (t.lifetime.end > last->lifetime.end)
      last = &t;
  }
  MLIRContext *context = first->alloc.getContext();
  auto arenaType = MemRefType::get({std::max<int64_t>(plan.arenaBytes, 1)},
                                   IntegerType::get(context, 8));
  OpBuilder b(first->alloc);
  auto arena = memref::AllocOp::create(b, first->alloc.getLoc(), arenaType,
                                       b.getI64IntegerAttr(alignment));
  b.setInsertionPointAfter(last->lastUse);
  memref::DeallocOp::create(b, last->dealloc.getLoc(), arena);
  for (auto [t, offset] : llvm::zip_equal(group, plan.offsets)) {
    b.setInsertionPoint(t.alloc);
    Value shift = arith::ConstantIndexOp::create(b, t.alloc.getLoc(), offset);
    auto view = memref::ViewOp::create(b, t.alloc.getLoc(), t.alloc.getType(),
                                       arena, shift, ValueRange());
    t.alloc.replaceAllUsesWith(view.getResult());
    t.dealloc.erase();
    t.alloc.erase();
  }
}

struct PlanTemporaryBuffersPass
    : pareprop::impl::PlanTemporaryBuffersBase<PlanTemporaryBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (alignment < 1 || (alignment & (alignment - 1)) != 0) {
      fn.emitError(
          "pareprop-plan-temporary-buffers: alignment must be a power of "
          "two, got ")
          << int64_t(alignment);
      return signalPassFailure();
    }
    if (fn.isExternal())
      return;
    // An async body runs after the op that follows it in the block, so
    // positions there are no lifetimes.
    if (fn.walk([](Operation *op) {
            return isa<async::AsyncDialect>(op->getDialect())
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          }).wasInterrupted())
      return;

    Block &entry = fn.getBody().front();
    DenseMap<Operation *, int64_t> position;
    // callsBefore[p]: ops at positions <= p that call functions with bodies.
    SmallVector<int64_t> callsBefore;
    for (Operation &op : entry) {
      position[&op] = callsBefore.size();
      int64_t calls = callsBefore.empty() ? 0 : callsBefore.back();
      callsBefore.push_back(calls + (callsDefinedFunction(&op) ? 1 : 0));
    }
    // Arena candidates by segment (the number of calls before them); one
    // live across a call, or not fit for an arena, is freed at its last
    // use and stays a buffer of its own.
    SmallVector<Temporary> alone;
    llvm::MapVector<int64_t, SmallVector<Temporary>> segments;
    for (auto alloc : llvm::to_vector(entry.getOps<memref::AllocOp>())) {
      std::optional<Temporary> t = asTemporary(alloc, entry, position);
      if (!t)
        continue;
      int64_t segment = callsBefore[t->lifetime.begin];
      if (arenas && fitsArena(*t, alignment) &&
          segment == callsBefore[t->lifetime.end])
        segments[segment].push_back(*t);
      else
        alone.push_back(*t);
    }
    // Within a segment, one arena per run of overlapping lifetimes: where
    // nothing is live, an arena would hold memory for nothing.
    for (auto &[segment, group] : segments) {
      llvm::sort(group, [](const Temporary &a, const Temporary &b) {
        return a.lifetime.begin < b.lifetime.begin;
      });
      size_t runBegin = 0;
      int64_t runEnd = group.front().lifetime.end;
      for (size_t i = 1; i <= group.size(); ++i) {
        if (i < group.size() && group[i].lifetime.begin <= runEnd) {
          runEnd = std::max(runEnd, group[i].lifetime.end);
          continue;
        }
        MutableArrayRef<Temporary> run(&group[runBegin], i - runBegin);
        if (run.size() >= 2)
          packIntoArena(run, alignment);
        else
          alone.append(run.begin(), run.end());
        if (i < group.size()) {
          runBegin = i;
          runEnd = group[i].lifetime.end;
        }
      }
    }
    for (Temporary &t : alone)
      freeAtLastUse(t);
  }
};

} // namespace
