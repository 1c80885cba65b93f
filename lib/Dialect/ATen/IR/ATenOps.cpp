//===- ATenOps.cpp - PyTorch operator calls -------------------------------===//

#include "pareprop/Dialect/ATen/IR/ATenOps.h"

using namespace mlir;
using namespace pareprop::aten;

#include "pareprop/Dialect/ATen/IR/ATenDialect.cpp.inc"

void ATenDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "pareprop/Dialect/ATen/IR/ATenOps.cpp.inc"
      >();
}

LogicalResult CallOp::verify() {
  if (getOpName().empty())
    return emitOpError("needs an operator name");
  if (getOpName().contains(':') || getOpName().contains('.'))
    return emitOpError("names the operator without namespace or overload "
                       "('linear', not 'aten::linear.default'), got '")
           << getOpName() << "'";
  if (getOperandNames().size() != getInputs().size())
    return emitOpError("has ") << getInputs().size() << " operands but names "
                               << getOperandNames().size();
  for (auto [name, value] : llvm::zip(getOperandNames(), getInputs())) {
    StringRef n = cast<StringAttr>(name).getValue();
    if (n.empty())
      return emitOpError("has an operand without a name");
    if (getArgs().get(n))
      return emitOpError("has argument '") << n
                                           << "' both as an operand "
                                              "and in args";
  }
  return success();
}

SmallVector<Value> CallOp::getNamedOperands(StringRef name) {
  SmallVector<Value> values;
  for (auto [n, value] : llvm::zip(getOperandNames(), getInputs()))
    if (cast<StringAttr>(n).getValue() == name)
      values.push_back(value);
  return values;
}

Value CallOp::getNamedOperand(StringRef name) {
  SmallVector<Value> values = getNamedOperands(name);
  return values.size() == 1 ? values.front() : Value();
}

#define GET_OP_CLASSES
#include "pareprop/Dialect/ATen/IR/ATenOps.cpp.inc"
