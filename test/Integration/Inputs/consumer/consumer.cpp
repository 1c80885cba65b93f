// Builds and schedules the training step of a model through the installed
// PaReprop libraries, from a tool that is not part of PaReprop.
#include "pareprop/Dialect/NN/IR/NNDialect.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: consumer model.mlir\n";
    return 2;
  }
  mlir::MLIRContext context;
  context.loadDialect<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                      pareprop::nn::NNDialect, pareprop::rev::RevDialect>();
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(argv[1], &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  pm.addPass(pareprop::rev::createRevBuildTrainingStep());
  pareprop::rev::RevScheduleBackwardOptions options;
  options.policy = "pareprop";
  pm.addPass(pareprop::rev::createRevScheduleBackward(options));
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
