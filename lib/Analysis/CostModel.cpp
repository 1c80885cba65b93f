//===- CostModel.cpp - per-op work for scheduling -------------------------===//

#include "pareprop/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace pareprop;

const OpCostModel::Work &OpCostModel::functionWork(StringRef name) {
  static const Work none;
  auto fn = dyn_cast_or_null<func::FuncOp>(symbols.lookupSymbolIn(
      symbolTableOp, StringAttr::get(symbolTableOp->getContext(), name)));
  if (!fn || fn.isExternal())
    return none;
  auto it = perFunction.find(fn);
  if (it != perFunction.end())
    return it->second;
  perFunction[fn] = Work(); // Breaks recursion.
  Work total;
  for (Operation &op : fn.getBody().front().without_terminator())
    add(&op, total);
  return perFunction[fn] = std::move(total);
}

static void append(OpCostModel::Work &into, const OpCostModel::Work &from) {
  into.kernels.append(from.kernels.begin(), from.kernels.end());
}

void OpCostModel::add(Operation *op, Work &work) {
  auto callees = [&](ArrayRef<StringRef> names) {
    for (StringRef name : names)
      append(work, functionWork(name));
  };
  // The add/sub a coupling combines its halves with.
  auto combine = [&](ValueRange results) {
    for (Value r : results) {
      double n = elementsOf(r.getType());
      work.kernels.push_back({n, 3.0 * double(bytesOf(r.getType())), n});
    }
  };
  if (auto call = dyn_cast<func::CallOp>(op))
    return callees({call.getCallee()});
  if (auto b = dyn_cast<rev::BlockOp>(op)) {
    callees({b.getF(), b.getG()});
    return combine({b.getY1(), b.getY2()});
  }
  if (auto r = dyn_cast<rev::RecomputeOp>(op)) {
    callees({r.getFFwd(), r.getGFwd()});
    return combine({r.getX1(), r.getX2()});
  }
  if (auto g = dyn_cast<rev::GradOp>(op)) {
    callees({g.getFVjp(), g.getGVjp()});
    return combine({g.getDx1(), g.getDx2()});
  }
  if (op->getNumRegions() != 0) {
    op->walk([&](Operation *nested) {
      if (nested != op && nested->getNumRegions() == 0)
        add(nested, work);
    });
    return;
  }
  if (auto costed = dyn_cast<KernelCostOpInterface>(op))
    return costed.appendKernels(work.kernels);
  appendElementwiseKernel(op, work.kernels);
}

int64_t OpCostModel::functionPeak(StringRef name) {
  auto fn = dyn_cast_or_null<func::FuncOp>(symbols.lookupSymbolIn(
      symbolTableOp, StringAttr::get(symbolTableOp->getContext(), name)));
  if (!fn || fn.isExternal())
    return 0;
  auto it = peakPerFunction.find(fn);
  if (it != peakPerFunction.end())
    return it->second;
  peakPerFunction[fn] = 0; // Breaks recursion.
  Block &body = fn.getBody().front();
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  Operation *ret = body.getTerminator();
  int64_t peak = peakLiveBytes(ops, [&](Value v) {
    return llvm::is_contained(ret->getOperands(), v);
  });
  return peakPerFunction[fn] = peak;
}

int64_t OpCostModel::innerPeak(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return functionPeak(call.getCallee());
  // F runs, then G: the larger of the two (the halves' outputs are the
  // op's results, counted by the caller).
  if (auto b = dyn_cast<rev::BlockOp>(op))
    return std::max(functionPeak(b.getF()), functionPeak(b.getG()));
  if (auto r = dyn_cast<rev::RecomputeOp>(op))
    return std::max(functionPeak(r.getFFwd()), functionPeak(r.getGFwd()));
  if (auto g = dyn_cast<rev::GradOp>(op))
    return std::max(functionPeak(g.getFVjp()), functionPeak(g.getGVjp()));
  return 0;
}

int64_t OpCostModel::peakLiveBytes(ArrayRef<Operation *> ops,
                                   function_ref<bool(Value)> outlives) {
  DenseMap<Operation *, unsigned> index;
  for (auto [i, op] : llvm::enumerate(ops))
    index[op] = i;
  // Last reader among `ops` of each value they make.
  DenseMap<Value, unsigned> lastUse;
  for (unsigned i = 0; i < ops.size(); ++i)
    ops[i]->walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        if (Operation *def = v.getDefiningOp(); def && index.count(def))
          lastUse[v] = i;
    });
  int64_t live = 0, peak = 0;
  for (unsigned i = 0; i < ops.size(); ++i) {
    Operation *op = ops[i];
    peak = std::max(peak, live + innerPeak(op));
    for (Value r : op->getResults())
      live += bytesOf(r.getType());
    peak = std::max(peak, live);
    // Free what nobody reads later: dead results, and operands read for the
    // last time here.
    for (Value r : op->getResults())
      if (!lastUse.count(r) && !outlives(r))
        live -= bytesOf(r.getType());
    llvm::SmallPtrSet<Value, 8> freed;
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        auto it = lastUse.find(v);
        if (it != lastUse.end() && it->second == i && !outlives(v) &&
            freed.insert(v).second)
          live -= bytesOf(v.getType());
      }
    });
  }
  return peak;
}
