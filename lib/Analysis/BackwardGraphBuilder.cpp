//===- BackwardGraphBuilder.cpp - a training step's IR as a BackwardGraph -===//

#include "pareprop/Analysis/BackwardGraphBuilder.h"
#include "pareprop/Analysis/CostModel.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace pareprop;

bool pareprop::staysOutsideTasks(Operation &op) {
  return op.getNumOperands() == 0 && op.hasTrait<OpTrait::ConstantLike>();
}

namespace {
/// Ops the returned loss depends on: the forward.
DenseSet<Operation *> forwardOps(Block &body) {
  DenseSet<Operation *> forward;
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() == 0)
    return forward;
  SmallVector<Operation *> work;
  if (Operation *def = ret.getOperand(0).getDefiningOp())
    work.push_back(def);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!forward.insert(op).second)
      continue;
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        if (Operation *def = v.getDefiningOp())
          if (Operation *top = body.findAncestorOpInBlock(*def);
              top && top != op)
            work.push_back(top);
    });
  }
  return forward;
}
} // namespace

DenseMap<Operation *, int64_t>
pareprop::reversibleBlockIndices(Block &body) {
  DenseMap<Operation *, int64_t> index;
  int64_t forwardBlocks = 0;
  for (Operation &op : body) {
    if (isa<rev::BlockOp>(op)) {
      index[&op] = forwardBlocks++;
    } else if (auto r = dyn_cast<rev::RecomputeOp>(op)) {
      // Block k's recompute reads the outputs of block k (forward) or the
      // inputs block k+1's recompute rebuilt.
      Operation *def = r.getY1().getDefiningOp();
      auto it = def ? index.find(def) : index.end();
      if (it == index.end())
        continue;
      if (isa<rev::BlockOp>(def))
        index[&op] = it->second;
      else if (isa<rev::RecomputeOp>(def) && it->second > 0)
        index[&op] = it->second - 1;
    } else if (isa<rev::GradOp>(op)) {
      for (Value v : op.getOperands())
        if (auto r = v.getDefiningOp<rev::RecomputeOp>())
          if (auto it = index.find(r); it != index.end())
            index[&op] = it->second;
    }
  }
  return index;
}

FailureOr<StepGraph> pareprop::buildBackwardGraph(func::FuncOp step) {
  if (!step.getBody().hasOneBlock())
    return step.emitError("a training step must have a single block");
  Block &body = step.getBody().front();
  StepGraph out;
  BackwardGraph &g = out.graph;
  OpCostModel costs(step->getParentOp());
  DenseSet<Operation *> forward = forwardOps(body);
  DenseMap<Operation *, unsigned> nodeOf;
  DenseMap<Operation *, int64_t> blockIndex = reversibleBlockIndices(body);
  std::vector<OpCostModel::Work> work;

  // Groups: couplings alone; a run of other ops until the next coupling or
  // the switch from forward to backward; ops tagged rev.work by identical
  // tags.
  Attribute previousTag;
  bool previousAlone = false, previousForward = true;
  for (Operation &op : body.without_terminator()) {
    if (staysOutsideTasks(op))
      continue;
    WorkKind kind;
    int64_t block = blockIndex.lookup_or(&op, -1);
    bool alone = true;
    Attribute tag = op.getAttr(rev::RevDialect::kWorkAttr);
    if (isa<rev::BlockOp>(op)) {
      kind = WorkKind::Forward;
    } else if (isa<rev::RecomputeOp>(op)) {
      kind = WorkKind::Recompute;
    } else if (isa<rev::GradOp>(op)) {
      kind = WorkKind::Gradient;
    } else if (auto dict = dyn_cast_or_null<DictionaryAttr>(tag)) {
      auto kindName = dict.getAs<StringAttr>("kind");
      std::optional<WorkKind> parsed =
          kindName ? parseWorkKind(kindName.getValue()) : std::nullopt;
      if (!parsed)
        return op.emitOpError("has a malformed '")
               << rev::RevDialect::kWorkAttr << "' attribute";
      kind = *parsed;
      if (auto b = dict.getAs<IntegerAttr>("block"))
        block = b.getInt();
      alone = false;
    } else {
      kind = forward.contains(&op) ? WorkKind::Forward : WorkKind::Backprop;
      alone = false;
    }
    bool isForward = kind == WorkKind::Forward;
    bool newNode = alone || out.groups.empty() || previousAlone ||
                   isForward != previousForward || tag != previousTag;
    if (newNode) {
      g.addNode(kind, block);
      out.groups.emplace_back();
      work.emplace_back();
    }
    previousAlone = alone;
    previousForward = isForward;
    previousTag = tag;
    unsigned id = g.nodes.size() - 1;
    out.groups[id].push_back(&op);
    nodeOf[&op] = id;
    costs.add(&op, work[id]);
  }

  // Values that leave their node, with their readers.
  out.escaping.resize(out.groups.size());
  for (unsigned id = 0; id < out.groups.size(); ++id) {
    int64_t escapingBytes = 0;
    for (Operation *op : out.groups[id]) {
      for (OpResult r : op->getResults()) {
        SmallVector<unsigned, 2> readers;
        bool returned = false;
        for (Operation *user : r.getUsers()) {
          Operation *top = body.findAncestorOpInBlock(*user);
          if (!top)
            continue;
          if (top == body.getTerminator()) {
            returned = true;
            continue;
          }
          auto it = nodeOf.find(top);
          if (it != nodeOf.end() && it->second != id &&
              !llvm::is_contained(readers, it->second))
            readers.push_back(it->second);
        }
        if (readers.empty() && !returned)
          continue;
        bool internals =
            isa<rev::RecomputeOp>(op) && r.getResultNumber() >= 2;
        int64_t bytes = bytesOf(r.getType());
        g.addValue(id, bytes, readers, internals, returned);
        out.escaping[id].push_back(r);
        escapingBytes += bytes;
      }
    }
    WorkNode &n = g.nodes[id];
    n.kernels = std::move(work[id].kernels);
    // What the node holds while it runs beyond the values it passes on
    // (those are counted from its start until their last reader ends).
    DenseSet<Value> leaves(out.escaping[id].begin(), out.escaping[id].end());
    int64_t peak = costs.peakLiveBytes(
        out.groups[id], [&](Value v) { return leaves.contains(v); });
    n.transientBytes = std::max<int64_t>(0, peak - escapingBytes);
  }
  return out;
}
