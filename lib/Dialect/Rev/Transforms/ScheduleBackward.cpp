//===- ScheduleBackward.cpp - training step -> streams and tasks ----------===//

#include "pareprop/Analysis/CostModel.h"
#include "pareprop/Analysis/StreamSchedule.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"

namespace pareprop::rev {
#define GEN_PASS_DEF_REVSCHEDULEBACKWARD
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

bool staysOutsideTasks(Operation &op) {
  return op.getNumOperands() == 0 && op.hasTrait<OpTrait::ConstantLike>();
}

LogicalResult scheduleFunction(func::FuncOp fn, SchedulePolicy policy,
                               unsigned maxLiveBlocks) {
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("a training step must have a single block");
  Block &body = fn.getBody().front();
  if (!body.getOps<TaskOp>().empty())
    return fn.emitError("training step is already scheduled");

  // Group ops into work items: each coupling (forward block, recompute,
  // gradient) alone, runs of anything else together.
  SmallVector<SmallVector<Operation *>> groups;
  SmallVector<WorkItem> items;
  DenseMap<Operation *, unsigned> itemOf;
  FlopCostModel costs(fn->getParentOp());
  Operation *lastConstant = nullptr;
  bool previousAlone = false;
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    if (staysOutsideTasks(op)) {
      if (lastConstant)
        op.moveAfter(lastConstant);
      else if (&op != &body.front())
        op.moveBefore(&body.front());
      lastConstant = &op;
      continue;
    }
    WorkKind kind = isa<RecomputeOp>(op) ? WorkKind::Recompute
                    : isa<GradOp>(op)    ? WorkKind::Gradient
                                         : WorkKind::Other;
    // Couplings are tasks of their own: buffers are freed between tasks
    // (inside a kernel they live until it returns), so a forward block's
    // outputs die once the next block has read them.
    bool alone = kind != WorkKind::Other || isa<BlockOp>(op);
    if (alone || items.empty() || previousAlone) {
      items.push_back(WorkItem{kind, 0.0, {}, {}});
      groups.emplace_back();
    }
    previousAlone = alone;
    unsigned id = items.size() - 1;
    groups.back().push_back(&op);
    itemOf[&op] = id;
    items[id].cost += costs.estimate(&op);
    op.walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def)
          continue;
        auto it = itemOf.find(def);
        if (it == itemOf.end() || it->second == id)
          continue;
        if (!llvm::is_contained(items[id].deps, it->second))
          items[id].deps.push_back(it->second);
        // Results past x1 and x2 are F/G internals.
        if (isa<RecomputeOp>(def) && cast<OpResult>(v).getResultNumber() >= 2 &&
            !llvm::is_contained(items[id].internalsRead, it->second))
          items[id].internalsRead.push_back(it->second);
      }
    });
  }
  if (items.empty())
    return success();

  StreamSchedule schedule = scheduleWork(items, policy, maxLiveBlocks);

  OpBuilder b(fn.getContext());
  Operation *terminator = body.getTerminator();
  SmallVector<TaskOp> tasks(items.size());
  SmallVector<TaskOp> lastOnStream(schedule.numStreams);
  for (unsigned id : schedule.issueOrder) {
    ArrayRef<Operation *> ops = groups[id];
    DenseSet<Operation *> inGroup(ops.begin(), ops.end());
    SmallVector<Value> escaping;
    for (Operation *op : ops)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *user) {
              return !inGroup.contains(body.findAncestorOpInBlock(*user));
            }))
          escaping.push_back(r);
    SmallVector<Value> after;
    for (unsigned w : schedule.waits[id])
      after.push_back(tasks[w].getToken());
    b.setInsertionPoint(terminator);
    auto task = TaskOp::create(b, ops.front()->getLoc(), schedule.stream[id],
                               after, ValueRange(escaping).getTypes());
    Block &taskBody = task.getBody().front();
    b.setInsertionPointToEnd(&taskBody);
    auto yield = YieldOp::create(b, ops.back()->getLoc(), escaping);
    for (Operation *op : ops)
      op->moveBefore(yield);
    for (auto [v, r] : llvm::zip(escaping, task.getResults()))
      v.replaceUsesWithIf(r, [&](OpOperand &use) {
        return !task->isAncestor(use.getOwner());
      });
    tasks[id] = task;
    lastOnStream[schedule.stream[id]] = task;
  }
  SmallVector<Value> tails;
  for (TaskOp t : lastOnStream)
    if (t)
      tails.push_back(t.getToken());
  b.setInsertionPoint(terminator);
  AwaitOp::create(b, terminator->getLoc(), tails);
  fn->setAttr(RevDialect::kPolicyAttr,
              b.getStringAttr(stringifySchedulePolicy(policy)));
  return success();
}

struct ScheduleBackwardPass
    : rev::impl::RevScheduleBackwardBase<ScheduleBackwardPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<SchedulePolicy> parsed = parseSchedulePolicy(policy);
    if (!parsed) {
      emitError(module.getLoc()) << "rev-schedule-backward: unknown policy '"
                         << policy << "' (expected 'vanilla' or 'pareprop')";
      return signalPassFailure();
    }
    if (maxLiveBlocks < 2) {
      emitError(module.getLoc()) << "rev-schedule-backward: max-live-blocks must be "
                            "at least 2, got "
                         << maxLiveBlocks.getValue();
      return signalPassFailure();
    }
    bool any = false;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn->hasAttr(RevDialect::kTrainingStepAttr))
        continue;
      any = true;
      if (failed(scheduleFunction(fn, *parsed, maxLiveBlocks)))
        return signalPassFailure();
    }
    if (!any)
      emitWarning(module.getLoc()) << "rev-schedule-backward: no function is marked "
                           << RevDialect::kTrainingStepAttr
                           << "; nothing was scheduled";
  }
};
} // namespace
