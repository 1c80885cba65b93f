//===- pareprop-import.cpp - TorchScript -> rev/nn MLIR -------------------===//
//
// Loads a TorchScript archive of a loss module (torch.jit.save of a traced
// or scripted module) through LibTorch and writes the model in the rev and
// nn dialects, the same IR the Python exporter (pareprop.export) writes:
// both write PyTorch operator calls (aten.call) that one lowering,
// convert-aten-to-nn, turns into nn ops; the result is verified before it is
// written.
//
//===----------------------------------------------------------------------===//

#include "TorchScriptImporter.h"
#include "pareprop/Frontend/LowerTorchOperators.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
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
static cl::opt<bool> emitATen(
    "emit-aten",
    cl::desc("Write the PyTorch operator calls (aten.call) as imported, "
             "before convert-aten-to-nn lowers them to nn"));
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

  // The torch operators, lowered to nn by the table the torch.fx exporter
  // uses too.
  llvm::Expected<std::string> lowered =
      emitATen ? llvm::Expected<std::string>(imported.mlir)
               : pareprop::lowerTorchOperators(imported.mlir);
  if (!lowered) {
    llvm::errs() << "pareprop-import: " << inputFile << ": "
                 << llvm::toString(lowered.takeError()) << "\n";
    return 1;
  }
  std::string error;
  auto out = openOutputFile(outputFile, &error);
  if (!out) {
    llvm::errs() << "pareprop-import: " << error << "\n";
    return 1;
  }
  out->os() << "// Imported from " << inputFile << " by pareprop-import\n";
  out->os() << *lowered;
  out->keep();
  return 0;
}
