//===- ScheduleBackward.cpp - training step -> streams and tasks ----------===//

#include "pareprop/Analysis/BackwardGraphBuilder.h"
#include "pareprop/Analysis/StreamSchedule.h"
#include "pareprop/Analysis/Timeline.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace pareprop::rev {
#define GEN_PASS_DEF_REVSCHEDULEBACKWARD
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// `path` for the only step, `<stem>.<function>.<ext>` when there are several.
std::string outputPath(StringRef path, StringRef function, bool several) {
  if (!several)
    return path.str();
  size_t dot = path.rfind('.');
  if (dot == StringRef::npos || path.find('/', dot) != StringRef::npos)
    return (path + "." + function).str();
  return (path.take_front(dot) + "." + function + path.drop_front(dot)).str();
}

LogicalResult writeFile(Operation *anchor, StringRef path,
                        function_ref<void(raw_ostream &)> write) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return mlir::emitError(anchor->getLoc(), "cannot write '")
           << path << "': " << ec.message();
  write(os);
  return success();
}

/// Rewrites the ops of each node into a rev.task, in issue order.
void materialize(func::FuncOp fn, const StepGraph &built,
                 const StreamSchedule &schedule) {
  Block &body = fn.getBody().front();
  OpBuilder b(fn.getContext());
  // Constants stay outside tasks, at the top, in their order.
  Operation *lastConstant = nullptr;
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    if (!staysOutsideTasks(op))
      continue;
    if (lastConstant)
      op.moveAfter(lastConstant);
    else if (&op != &body.front())
      op.moveBefore(&body.front());
    lastConstant = &op;
  }

  Operation *terminator = body.getTerminator();
  SmallVector<TaskOp> tasks(built.groups.size());
  SmallVector<TaskOp> lastOnStream(schedule.numStreams);
  for (unsigned id : schedule.issueOrder) {
    ArrayRef<Operation *> ops = built.groups[id];
    ArrayRef<Value> escaping = built.escaping[id];
    const WorkNode &node = built.graph.nodes[id];
    SmallVector<Value> after;
    for (unsigned w : schedule.waits[id])
      after.push_back(tasks[w].getToken());
    b.setInsertionPoint(terminator);
    auto task = TaskOp::create(b, ops.front()->getLoc(), schedule.stream[id],
                               after, ValueRange(escaping).getTypes());
    task.setKind(node.kind);
    if (node.block >= 0)
      task.setBlockIndex(node.block);
    Block &taskBody = task.getBody().front();
    b.setInsertionPointToEnd(&taskBody);
    auto yield = YieldOp::create(b, ops.back()->getLoc(), escaping);
    for (Operation *op : ops) {
      op->moveBefore(yield);
      op->removeAttr(RevDialect::kWorkAttr);
    }
    for (auto [v, r] : llvm::zip(escaping, task.getResults()))
      Value(v).replaceUsesWithIf(r, [&](OpOperand &use) {
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
}

struct ScheduleBackwardPass
    : rev::impl::RevScheduleBackwardBase<ScheduleBackwardPass> {
  using Base::Base;

  LogicalResult scheduleFunction(func::FuncOp fn, const ScheduleRequest &request,
                                 const TargetDescription &target,
                                 bool several) {
    if (fn.getBody().hasOneBlock() &&
        !fn.getBody().front().getOps<TaskOp>().empty())
      return fn.emitError("training step is already scheduled");
    FailureOr<StepGraph> built = buildBackwardGraph(fn);
    if (failed(built))
      return failure();
    if (built->graph.nodes.empty())
      return success();
    built->graph.assignCosts(target);
    llvm::Expected<ScheduleChoice> choice =
        chooseSchedule(built->graph, target, request);
    if (!choice)
      return mlir::emitError(fn.getLoc(), "rev-schedule-backward: ")
             << llvm::toString(choice.takeError());
    const StreamSchedule &schedule = choice->schedule;
    if (!choice->remark.empty())
      mlir::emitRemark(fn.getLoc(), "rev-schedule-backward: ")
          << choice->remark;
    if (explain) {
      InFlightDiagnostic remark =
          mlir::emitRemark(fn.getLoc(), "rev-schedule-backward: ");
      remark << "chose " << schedule.policy.str() << " on target '"
             << target.name << "'; candidates:";
      for (const auto &c : choice->candidates)
        remark << llvm::formatv(" {0} {1:f1} us {2} B{3};", c.policy.str(),
                                c.makespan * 1e6, c.peakBytes,
                                c.fits ? "" : " (over budget)")
                      .str();
    }
    if (!dotFile.empty() &&
        failed(writeFile(fn, outputPath(dotFile, fn.getSymName(), several),
                         [&](raw_ostream &os) {
                           printDot(os, built->graph, &schedule,
                                    fn.getSymName());
                         })))
      return failure();
    if (!timelineFile.empty() &&
        failed(writeFile(
            fn, outputPath(timelineFile, fn.getSymName(), several),
            [&](raw_ostream &os) {
              writeChromeTrace(
                  os, predictedTimeline(built->graph, schedule),
                  (fn.getSymName() + " " + schedule.policy.str() +
                   " (predicted)")
                      .str(),
                  {{"source", "predicted"},
                   {"policy", schedule.policy.str()},
                   {"target", target.name},
                   {"step_seconds", llvm::formatv("{0}", schedule.makespan)},
                   {"peak_bytes", std::to_string(schedule.peakBytes)}});
            })))
      return failure();

    materialize(fn, *built, schedule);
    Builder b(fn.getContext());
    fn->setAttr(RevDialect::kPolicyAttr,
                b.getStringAttr(schedule.policy.str()));
    fn->setAttr(RevDialect::kTargetAttr, b.getStringAttr(target.name));
    fn->setAttr(RevDialect::kPredictedSecondsAttr,
                b.getF64FloatAttr(schedule.makespan));
    fn->setAttr(RevDialect::kPredictedPeakAttr,
                b.getI64IntegerAttr(schedule.peakBytes));
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      emitError(module.getLoc()) << "rev-schedule-backward: " << message;
      signalPassFailure();
    };
    ScheduleRequest request;
    if (lookahead < 1)
      return fail("lookahead must be at least 1, got " +
                  Twine(lookahead.getValue()));
    if (splitMinIterations < -1)
      return fail("split-min-iterations must be -1 (the target's), 0 (no "
                  "split) or a number of iterations, got " +
                  Twine(int64_t(splitMinIterations)));
    if (streams < 1)
      return fail("streams must be at least 1, got " +
                  Twine(streams.getValue()));
    request.policy = {policy, lookahead, streams};
    if (!memoryBudget.empty()) {
      request.memoryBudget = parseByteSize(memoryBudget);
      if (!request.memoryBudget)
        return fail("cannot parse memory-budget '" + memoryBudget +
                    "' (expected bytes, e.g. 65536, 64KiB, 1.5MiB)");
    }
    llvm::Expected<TargetDescription> target = TargetDescription::load(targetName);
    if (!target)
      return fail(llvm::toString(target.takeError()));
    *target = target->withKernels(runtimeContractions, splitMinIterations);
    request.maxStreams = std::max(2u, target->maxConcurrentTasks > 4
                                          ? 4u
                                          : target->maxConcurrentTasks);

    SmallVector<func::FuncOp> steps;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr(RevDialect::kTrainingStepAttr))
        steps.push_back(fn);
    if (steps.empty()) {
      emitWarning(module.getLoc())
          << "rev-schedule-backward: no function is marked "
          << RevDialect::kTrainingStepAttr << "; nothing was scheduled";
      return;
    }
    for (func::FuncOp fn : steps)
      if (failed(scheduleFunction(fn, request, *target, steps.size() > 1)))
        return signalPassFailure();
  }
};
} // namespace
