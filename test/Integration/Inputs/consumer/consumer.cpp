// Builds and schedules the training step of a model through the installed
// PaReprop libraries, from a tool that is not part of PaReprop. With
// --exp-rule it first teaches PaReprop to differentiate an op of another
// dialect (math.exp) by attaching a gradient rule as an external model, the
// way an embedding compiler adds rules for its own ops; with --lower it runs
// the whole pipeline to the LLVM dialect.
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"
#include "pareprop/Interfaces/DifferentiableOpInterface.h"
#include "pareprop/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace {
/// d exp(x) = exp(x) dx: the rule reads the op's result, so the saving
/// forward keeps the result and nothing else.
struct ExpGradient
    : pareprop::DifferentiableOpInterface::ExternalModel<ExpGradient,
                                                         mlir::math::ExpOp> {
  bool vjpNeedsOperand(mlir::Operation *, unsigned) const { return false; }
  bool vjpNeedsResult(mlir::Operation *, unsigned) const { return true; }
  llvm::LogicalResult
  buildVJP(mlir::Operation *, mlir::OpBuilder &b, mlir::Location loc,
           mlir::ValueRange, mlir::ValueRange results,
           mlir::ValueRange resultGrads,
           llvm::SmallVectorImpl<mlir::Value> &operandGrads) const {
    operandGrads.push_back(
        pareprop::nn::MulOp::create(b, loc, resultGrads[0], results[0]));
    return llvm::success();
  }
};
} // namespace

int main(int argc, char **argv) {
  const char *model = nullptr;
  bool expRule = false, lower = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--exp-rule"))
      expRule = true;
    else if (!std::strcmp(argv[i], "--lower"))
      lower = true;
    else
      model = argv[i];
  }
  if (!model) {
    llvm::errs() << "usage: consumer [--exp-rule] [--lower] model.mlir\n";
    return 2;
  }
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<pareprop::nn::NNDialect, pareprop::rev::RevDialect>();
  if (expRule)
    registry.addExtension(
        +[](mlir::MLIRContext *ctx, mlir::math::MathDialect *) {
          mlir::math::ExpOp::attachInterface<ExpGradient>(*ctx);
        });
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(model, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  if (lower) {
    pareprop::RevToLLVMOptions options;
    pareprop::buildRevToLLVMPipeline(pm, options);
  } else {
    pm.addPass(pareprop::rev::createRevBuildTrainingStep());
    pareprop::rev::RevScheduleBackwardOptions options;
    options.policy = pareprop::rev::SchedulePolicyKind::PaReprop;
    pm.addPass(pareprop::rev::createRevScheduleBackward(options));
  }
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
