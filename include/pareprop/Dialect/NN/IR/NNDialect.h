//===- NNDialect.h - differentiable tensor ops ------------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_NN_IR_NNDIALECT_H
#define PAREPROP_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "pareprop/Dialect/NN/IR/NNDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "pareprop/Dialect/NN/IR/NNAttrs.h.inc"

#endif
