//===- CostModel.cpp - FLOP estimates for scheduling ----------------------===//

#include "pareprop/Analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace pareprop;

static double numElements(Type t) {
  auto shaped = dyn_cast<ShapedType>(t);
  return shaped && shaped.hasStaticShape() ? double(shaped.getNumElements())
                                           : 1.0;
}

double FlopCostModel::estimateFunction(StringRef name) {
  auto fn = dyn_cast_or_null<func::FuncOp>(symbols.lookupSymbolIn(
      symbolTableOp, StringAttr::get(symbolTableOp->getContext(), name)));
  if (!fn || fn.isExternal())
    return 0.0;
  auto it = functionCost.find(fn);
  if (it != functionCost.end())
    return it->second;
  functionCost[fn] = 0.0; // Breaks recursion.
  double total = 0.0;
  fn.walk([&](Operation *op) {
    if (op != fn)
      total += estimate(op);
  });
  functionCost[fn] = total;
  return total;
}

double FlopCostModel::estimate(Operation *op) {
  return llvm::TypeSwitch<Operation *, double>(op)
      .Case<nn::MatmulOp>([](nn::MatmulOp mm) {
        auto lhs = mm.getLhs().getType();
        int64_t k = lhs.getDimSize(mm.getTransposeLhs() ? 0 : 1);
        return 2.0 * numElements(mm.getType()) * double(k);
      })
      .Case<nn::SumOp, nn::MeanOp, nn::ReduceToOp>(
          [](Operation *r) { return numElements(r->getOperand(0).getType()); })
      .Case<func::CallOp>(
          [&](func::CallOp call) { return estimateFunction(call.getCallee()); })
      .Case<rev::BlockOp>([&](rev::BlockOp b) {
        return estimateFunction(b.getF()) + estimateFunction(b.getG()) +
               numElements(b.getY1().getType()) +
               numElements(b.getY2().getType());
      })
      .Case<rev::RecomputeOp>([&](rev::RecomputeOp r) {
        return estimateFunction(r.getFFwd()) + estimateFunction(r.getGFwd()) +
               numElements(r.getX1().getType()) +
               numElements(r.getX2().getType());
      })
      .Case<rev::GradOp>([&](rev::GradOp g) {
        return estimateFunction(g.getFVjp()) + estimateFunction(g.getGVjp()) +
               numElements(g.getDx1().getType()) +
               numElements(g.getDx2().getType());
      })
      .Default([](Operation *other) {
        if (other->getDialect() &&
            other->getDialect()->getNamespace() == "nn" &&
            other->getNumResults() == 1)
          return numElements(other->getResult(0).getType());
        return 0.0;
      });
}
