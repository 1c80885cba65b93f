//===- pareprop-import.cpp - TorchScript -> rev/nn MLIR -------------------===//
//
// Loads a TorchScript archive of a loss module (torch.jit.save of a traced
// or scripted module) through LibTorch and writes the model in the rev and
// nn dialects, the same IR the Python exporter (pareprop.export) writes.
// The text is parsed and verified before it is written.
//
//===----------------------------------------------------------------------===//

#include "TorchScriptImporter.h"

#include "pareprop/Dialect/NN/IR/NNDialect.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.pt>"),
                                      cl::Required);
static cl::list<std::string>
    inputs("input",
           cl::desc("Example input shape and element type, in order, e.g. "
                    "--input 2x3x8x8xf32 --input 2xi64 (default: what "
                    "pareprop.save_torchscript stored in the archive)"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "pareprop-import: TorchScript to the rev and "
                              "nn dialects\n\n"
                              "  A TorchScript archive is a program (LibTorch "
                              "runs its code and unpickles\n"
                              "  its data): import only archives you trust.\n");
  std::vector<pareprop::importer::InputSpec> specs;
  for (const std::string &s : inputs) {
    auto spec = pareprop::importer::parseInputSpec(s);
    if (!spec) {
      llvm::errs() << "pareprop-import: bad --input '" << s
                   << "' (expected e.g. 2x3x8x8xf32, 2xi64, 4x8xi1)\n";
      return 1;
    }
    specs.push_back(*spec);
  }
  auto imported = pareprop::importer::importTorchScript(inputFile, specs);
  if (!imported.error.empty()) {
    llvm::errs() << "pareprop-import: " << inputFile << ": " << imported.error
                 << "\n";
    return 1;
  }

  DialectRegistry registry;
  registry.insert<func::FuncDialect, arith::ArithDialect,
                  pareprop::nn::NNDialect, pareprop::rev::RevDialect>();
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(imported.mlir, "<imported>"),
      llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module || failed(verify(*module))) {
    llvm::errs() << "pareprop-import: internal error: the imported model does "
                    "not verify; its text:\n"
                 << imported.mlir;
    return 1;
  }
  std::string error;
  auto out = openOutputFile(outputFile, &error);
  if (!out) {
    llvm::errs() << "pareprop-import: " << error << "\n";
    return 1;
  }
  out->os() << "// Imported from " << inputFile << " by pareprop-import\n";
  module->print(out->os());
  out->os() << "\n";
  out->keep();
  return 0;
}
