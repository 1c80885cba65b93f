//===- ATenOps.h - PyTorch operator calls -----------------------*- C++ -*-===//
#ifndef PAREPROP_DIALECT_ATEN_IR_ATENOPS_H
#define PAREPROP_DIALECT_ATEN_IR_ATENOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "pareprop/Dialect/ATen/IR/ATenDialect.h"

#define GET_OP_CLASSES
#include "pareprop/Dialect/ATen/IR/ATenOps.h.inc"

#endif
