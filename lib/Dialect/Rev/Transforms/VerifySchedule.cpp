//===- VerifySchedule.cpp - the schedule verifier as a pass ---------------===//

#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"

namespace pareprop::rev {
#define GEN_PASS_DEF_REVVERIFYSCHEDULE
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop::rev;

namespace {
struct VerifySchedulePass
    : pareprop::rev::impl::RevVerifyScheduleBase<VerifySchedulePass> {
  void runOnOperation() override {
    bool ok = true;
    for (auto fn : getOperation().getOps<func::FuncOp>())
      for (Block &block : fn.getBody())
        if (!block.getOps<TaskOp>().empty())
          ok &= succeeded(verifyTaskOrder(block));
    if (!ok)
      signalPassFailure();
  }
};
} // namespace
