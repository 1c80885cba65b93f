//===- ATenDialect.h - PyTorch operator calls -------------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_ATEN_IR_ATENDIALECT_H
#define PAREPROP_DIALECT_ATEN_IR_ATENDIALECT_H

#include "mlir/IR/Dialect.h"

#include "pareprop/Dialect/ATen/IR/ATenDialect.h.inc"

#endif
