//===- CostModel.cpp - per-op work for scheduling -------------------------===//

#include "pareprop/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace pareprop;

static double numElements(Type t) {
  auto shaped = dyn_cast<ShapedType>(t);
  return shaped && shaped.hasStaticShape() ? double(shaped.getNumElements())
                                           : 0.0;
}

int64_t pareprop::bytesOf(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  Type element = shaped.getElementType();
  int64_t bits = element.isIntOrIndexOrFloat()
                     ? (element.isIndex() ? 64 : element.getIntOrFloatBitWidth())
                     : 64;
  return shaped.getNumElements() * ((bits + 7) / 8);
}

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
      double n = numElements(r.getType());
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
  // One kernel per op with a tensor result.
  double elements = 0, bytes = 0;
  for (Value r : op->getResults()) {
    elements = std::max(elements, numElements(r.getType()));
    bytes += double(bytesOf(r.getType()));
  }
  if (elements == 0)
    return;
  for (Value v : op->getOperands())
    bytes += double(bytesOf(v.getType()));
  double flops = elements;
  bool contraction = false;
  if (auto mm = dyn_cast<nn::MatmulOp>(op)) {
    auto lhs = mm.getLhs().getType();
    int64_t rank = lhs.getRank();
    int64_t k = lhs.getDimSize(mm.getTransposeLhs() ? rank - 2 : rank - 1);
    flops = 2.0 * elements * double(k);
    contraction = true;
  } else if (auto lin = dyn_cast<nn::LinearOp>(op)) {
    auto x = cast<ShapedType>(lin.getOperand(0).getType());
    flops = 2.0 * elements * double(x.getDimSize(x.getRank() - 1));
    contraction = true;
    // The output starts as the broadcast bias (or zeros): one more loop.
    double resultBytes = double(bytesOf(lin.getType()));
    work.kernels.push_back({elements, 2.0 * resultBytes, elements});
  } else if (isa<nn::SliceOp>(op)) {
    // A view once bufferized; counted as the copy a consumer may make.
    bytes = 2.0 * double(bytesOf(op->getResult(0).getType()));
  } else if (auto emb = dyn_cast<nn::EmbeddingOp>(op)) {
    // Reads the ids and one table row per id, not the whole table.
    bytes = 2.0 * double(bytesOf(emb.getType())) +
            double(bytesOf(emb.getIds().getType()));
  } else if (auto grad = dyn_cast<nn::EmbeddingGradOp>(op)) {
    // Zeroes the table, then adds one row of dy per id (read dy, read and
    // write the row).
    double rowsAdded = numElements(grad.getGrad().getType());
    flops = elements + rowsAdded;
    bytes = double(bytesOf(grad.getType())) +
            double(bytesOf(grad.getIds().getType())) +
            3.0 * double(bytesOf(grad.getGrad().getType()));
  } else if (isa<nn::CrossEntropyOp, nn::CrossEntropyGradOp>(op)) {
    // Row max, sum of exps, then the picked logits (loss) or one more
    // elementwise pass (gradient): about four passes over the logits.
    flops = 4.0 * numElements(op->getOperand(0).getType());
  } else if (isa<nn::LayerNormOp, nn::SoftmaxOp>(op)) {
    // Row kernels: three passes over each row (statistics, statistics,
    // result), the work pareprop-split-kernels-across-threads weighs them by.
    flops = 3.0 * elements;
  } else if (op->getNumOperands() > 0) {
    // Reductions and broadcasts touch every input element.
    flops = std::max(elements, numElements(op->getOperand(0).getType()));
  }
  work.kernels.push_back({flops, bytes, elements, contraction});
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
