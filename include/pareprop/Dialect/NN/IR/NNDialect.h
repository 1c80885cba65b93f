//===- NNDialect.h - differentiable tensor ops ------------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_NN_IR_NNDIALECT_H
#define PAREPROP_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "pareprop/Dialect/NN/IR/NNDialect.h.inc"

#endif
