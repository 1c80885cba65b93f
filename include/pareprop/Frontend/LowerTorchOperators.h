//===- LowerTorchOperators.h - a frontend's module to nn --------*- C++ -*-===//
//
// What both frontends (pareprop.export's torch.fx path and pareprop-import's
// TorchScript path) do with the module they write: parse it, lower its
// aten.calls to nn with convert-aten-to-nn, verify and print it.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_FRONTEND_LOWERTORCHOPERATORS_H
#define PAREPROP_FRONTEND_LOWERTORCHOPERATORS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace pareprop {

/// Parses `text` (a frontend's module of aten.call, rev and nn ops), lowers
/// its torch operator calls to nn and returns the module's text. Comment
/// lines at the top of `text` (the frontend's header) are kept. On failure
/// the error lists each diagnostic, a diagnostic at a frontend's location
/// (a module path) as "<message> at <path>".
llvm::Expected<std::string> lowerTorchOperators(llvm::StringRef text);

} // namespace pareprop

#endif
