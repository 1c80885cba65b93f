//===- KernelCostOpInterface.cpp - what an op costs once lowered ----------===//

#include "pareprop/Interfaces/KernelCostOpInterface.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace pareprop {
#include "pareprop/Interfaces/KernelCostOpInterface.cpp.inc"

int64_t bytesOf(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  Type element = shaped.getElementType();
  int64_t bits =
      element.isIntOrIndexOrFloat()
          ? (element.isIndex() ? 64 : element.getIntOrFloatBitWidth())
          : 64;
  return shaped.getNumElements() * ((bits + 7) / 8);
}

double elementsOf(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  return shaped && shaped.hasStaticShape() ? double(shaped.getNumElements())
                                           : 0.0;
}

double operandAndResultBytes(Operation *op) {
  double bytes = 0;
  for (Value r : op->getResults())
    bytes += double(bytesOf(r.getType()));
  for (Value v : op->getOperands())
    bytes += double(bytesOf(v.getType()));
  return bytes;
}

double largestResultElements(Operation *op) {
  double elements = 0;
  for (Value r : op->getResults())
    elements = std::max(elements, elementsOf(r.getType()));
  return elements;
}

void appendElementwiseKernel(Operation *op, SmallVectorImpl<OpWork> &kernels) {
  double elements = largestResultElements(op);
  if (elements == 0)
    return;
  double flops = elements;
  if (op->getNumOperands() > 0)
    flops = std::max(elements, elementsOf(op->getOperand(0).getType()));
  kernels.push_back({flops, operandAndResultBytes(op), elements});
}

} // namespace pareprop
