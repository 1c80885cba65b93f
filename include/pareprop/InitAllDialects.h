//===- InitAllDialects.h - register PaReprop's dialects --------*- C++ -*-===//
#ifndef PAREPROP_INITALLDIALECTS_H
#define PAREPROP_INITALLDIALECTS_H

#include "mlir/IR/DialectRegistry.h"
#include "pareprop/Dialect/ATen/IR/ATenDialect.h"
#include "pareprop/Dialect/NN/IR/NNDialect.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"

namespace pareprop {

/// The project's dialects: aten (the frontends' operator calls), nn and rev.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<aten::ATenDialect, nn::NNDialect, rev::RevDialect>();
}

} // namespace pareprop

#endif
