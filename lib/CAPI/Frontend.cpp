//===- Frontend.cpp - C API of the frontends' shared lowering -------------===//

#include "pareprop-c/Frontend.h"

#include "Strings.h"

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Frontend/LowerTorchOperators.h"

using namespace pareprop::capi;

extern "C" char *pareprop_lower_torch_operators(const char *mlir,
                                                char **error) {
  if (!mlir) {
    setError(error, "pareprop_lower_torch_operators: mlir is required");
    return nullptr;
  }
  llvm::Expected<std::string> lowered = pareprop::lowerTorchOperators(mlir);
  if (!lowered) {
    setError(error, llvm::toString(lowered.takeError()));
    return nullptr;
  }
  return copyString(*lowered);
}

extern "C" const char *pareprop_torch_operators(void) {
  static const std::string names = [] {
    std::string joined;
    for (const std::string &name : pareprop::supportedTorchOperators())
      joined += (joined.empty() ? "" : ",") + name;
    return joined;
  }();
  return names.c_str();
}
