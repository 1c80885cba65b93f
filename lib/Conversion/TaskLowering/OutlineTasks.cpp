//===- OutlineTasks.cpp - rev.task bodies -> kernel functions -------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"

namespace pareprop {
#define GEN_PASS_DEF_REVOUTLINETASKS
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;

namespace {
struct RevOutlineTasksPass
    : pareprop::impl::RevOutlineTasksBase<RevOutlineTasksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkCouplingsLowered(module, getArgument())))
      return signalPassFailure();
    SymbolTable symbols(module);
    if (failed(outlineStepTasks(scheduledSteps(module), symbols)))
      return signalPassFailure();
  }
};
} // namespace
