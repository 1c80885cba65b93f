//===- pareprop-opt.cpp - mlir-opt with the PaReprop dialects and passes --===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"
#include "pareprop/InitAllDialects.h"
#include "pareprop/Pipelines/Pipelines.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  pareprop::registerAllPaRepropPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary (rev-to-gpu) translates kernels to LLVM IR.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  pareprop::registerAllDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "PaReprop optimizer driver\n", registry));
}
