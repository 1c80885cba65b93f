//===- TorchScriptImporter.h - TorchScript -> aten/rev MLIR text *- C++ -*-===//
//
// The LibTorch half of pareprop-import. It includes no LLVM or MLIR header:
// LibTorch needs RTTI, LLVM and MLIR are built without it.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_TOOLS_IMPORT_TORCHSCRIPTIMPORTER_H
#define PAREPROP_TOOLS_IMPORT_TORCHSCRIPTIMPORTER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pareprop::importer {

/// An example input: static shape and element type (f32, f64, i64, i1).
struct InputSpec {
  std::vector<int64_t> shape;
  std::string elem;
};

/// Parses "2x3x8x8xf32", "2xi64", "f32".
std::optional<InputSpec> parseInputSpec(const std::string &text);

struct ImportResult {
  std::string mlir;  // The model, when error is empty.
  std::string error; // What is unsupported, with the module path.
};

/// Loads a TorchScript archive (torch.jit.save of a traced or scripted loss
/// module) and emits its loss function: rev.block ops and aten.calls (PyTorch
/// operator calls), which pareprop::lowerTorchOperators lowers to nn. Without
/// `inputs`, the example shapes come from the archive's "pareprop_inputs"
/// extra file (written by pareprop.save_torchscript).
ImportResult importTorchScript(const std::string &path,
                               const std::vector<InputSpec> &inputs);

} // namespace pareprop::importer

#endif // PAREPROP_TOOLS_IMPORT_TORCHSCRIPTIMPORTER_H
