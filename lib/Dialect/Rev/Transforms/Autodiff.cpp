//===- Autodiff.cpp - reverse-mode differentiation ------------------------===//

#include "pareprop/Dialect/Rev/Transforms/Autodiff.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "pareprop/Interfaces/DifferentiableOpInterface.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace pareprop;

static constexpr llvm::StringLiteral kDerivedFromAttr =
    rev::RevDialect::kDerivedFromAttr;

bool pareprop::isDifferentiableType(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    type = shaped.getElementType();
  return isa<FloatType>(type);
}

/// Zero of `type`; for integer values (random keys) it is the placeholder
/// "gradient" a VJP returns for a non-differentiable argument.
static Value zerosLike(OpBuilder &b, Location loc, Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  Type elem = shaped ? shaped.getElementType() : type;
  TypedAttr zero = isa<FloatType>(elem) ? TypedAttr(b.getFloatAttr(elem, 0.0))
                                        : TypedAttr(b.getZeroAttr(elem));
  if (shaped)
    zero = DenseElementsAttr::get(shaped, zero);
  return arith::ConstantOp::create(b, loc, zero);
}

void Adjoints::accumulate(OpBuilder &b, Location loc, Value v, Value grad) {
  if (!grad || !isDifferentiableType(v.getType()))
    return;
  auto [it, inserted] = grads.try_emplace(v, grad);
  if (!inserted)
    it->second = nn::AddOp::create(b, loc, it->second, grad);
}

Value Adjoints::lookupOrZero(OpBuilder &b, Location loc, Value v) {
  if (Value g = lookup(v))
    return g;
  return zerosLike(b, loc, v.getType());
}

DenseSet<Operation *> pareprop::computeActiveOps(Block &block,
                                                 ValueRange sources,
                                                 ValueRange sinks) {
  // Only floating-point values carry gradients: integer keys that flow
  // into dropout do not make it (or the ops computing them) active.
  DenseSet<Value> varied;
  for (Value v : sources)
    if (isDifferentiableType(v.getType()))
      varied.insert(v);
  DenseSet<Operation *> variedOps;
  for (Operation &op : block) {
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return varied.contains(v); })) {
      variedOps.insert(&op);
      for (Value r : op.getResults())
        if (isDifferentiableType(r.getType()))
          varied.insert(r);
    }
  }
  DenseSet<Value> useful(sinks.begin(), sinks.end());
  DenseSet<Operation *> active;
  for (Operation &op : llvm::reverse(block)) {
    if (!llvm::any_of(op.getResults(),
                      [&](Value v) { return useful.contains(v); }))
      continue;
    useful.insert(op.operand_begin(), op.operand_end());
    if (variedOps.contains(&op))
      active.insert(&op);
  }
  return active;
}

void pareprop::eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

static InFlightDiagnostic emitNoRule(Operation *op) {
  return op->emitError() << "no gradient rule for '" << op->getName()
                         << "' (it implements no DifferentiableOpInterface)";
}

LogicalResult pareprop::reverseSweep(
    OpBuilder &b, ArrayRef<Operation *> ops,
    const DenseSet<Operation *> &active, Adjoints &adjoints,
    const std::function<Value(Value)> &primal,
    const std::function<FailureOr<bool>(Operation *)> &custom) {
  for (Operation *op : llvm::reverse(ops)) {
    if (!active.contains(op))
      continue;
    if (custom) {
      FailureOr<bool> handled = custom(op);
      if (failed(handled))
        return failure();
      if (*handled)
        continue;
    }
    SmallVector<Value> resultGrads;
    for (Value r : op->getResults())
      resultGrads.push_back(adjoints.lookup(r));
    if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
      continue;
    auto rule = dyn_cast<DifferentiableOpInterface>(op);
    if (!rule)
      return emitNoRule(op);
    SmallVector<Value> operands, results;
    for (auto [i, v] : llvm::enumerate(op->getOperands()))
      operands.push_back(rule.vjpNeedsOperand(i) ? primal(v) : Value());
    for (auto [i, v] : llvm::enumerate(op->getResults()))
      results.push_back(rule.vjpNeedsResult(i) ? primal(v) : Value());
    SmallVector<Value> operandGrads;
    if (failed(rule.buildVJP(b, op->getLoc(), operands, results, resultGrads,
                             operandGrads)))
      return failure();
    if (operandGrads.size() != op->getNumOperands())
      return op->emitError() << "gradient rule of '" << op->getName()
                             << "' returned " << operandGrads.size()
                             << " gradients for " << op->getNumOperands()
                             << " operands";
    for (auto [v, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (g && g.getType() != v.getType())
        return op->emitError() << "gradient rule of '" << op->getName()
                               << "' produced a gradient of type "
                               << g.getType() << " for an operand of type "
                               << v.getType();
      adjoints.accumulate(b, op->getLoc(), v, g);
    }
  }
  return success();
}

FailureOr<CouplingDerivatives>
pareprop::getOrCreateCouplingDerivatives(func::FuncOp fn,
                                         SymbolTable &symbols) {
  std::string fwdName = (fn.getSymName() + "__fwd").str();
  std::string vjpName = (fn.getSymName() + "__vjp").str();
  auto existingFwd = symbols.lookup<func::FuncOp>(fwdName);
  auto existingVjp = symbols.lookup<func::FuncOp>(vjpName);
  auto derivedFrom = [&](func::FuncOp f) {
    auto ref = f->getAttrOfType<FlatSymbolRefAttr>(kDerivedFromAttr);
    return ref && ref.getValue() == fn.getSymName();
  };
  if (existingFwd && existingVjp && derivedFrom(existingFwd) &&
      derivedFrom(existingVjp))
    return CouplingDerivatives{existingFwd, existingVjp};
  if (symbols.lookup(fwdName) || symbols.lookup(vjpName))
    return fn.emitError() << "cannot differentiate @" << fn.getSymName()
                          << ": the symbol @" << fwdName << " or @" << vjpName
                          << " is already taken";

  if (fn.isExternal())
    return fn.emitError() << "coupling function @" << fn.getSymName()
                          << " has no body to differentiate";
  if (!fn.getBody().hasOneBlock())
    return fn.emitError() << "coupling function @" << fn.getSymName()
                          << " must have a single block";
  if (fn.getNumResults() != 1)
    return fn.emitError() << "coupling function @" << fn.getSymName()
                          << " must return exactly one tensor";
  Block &body = fn.getBody().front();
  for (Operation &op : body.without_terminator())
    if (op.getNumRegions() != 0)
      return op.emitError() << "control flow inside coupling function @"
                            << fn.getSymName() << " is not supported";
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value out = ret.getOperand(0);

  DenseSet<Operation *> active =
      computeActiveOps(body, body.getArguments(), ret.getOperands());

  // Internals the gradient rules read, beyond the arguments the VJP gets
  // anyway: the forward returns them, the VJP takes them back.
  llvm::SetVector<Value> saved;
  for (Operation &op : body.without_terminator()) {
    if (!active.contains(&op))
      continue;
    auto rule = dyn_cast<DifferentiableOpInterface>(&op);
    if (!rule)
      return emitNoRule(&op);
    for (auto [i, v] : llvm::enumerate(op.getOperands()))
      if (rule.vjpNeedsOperand(i) && !isa<BlockArgument>(v))
        saved.insert(v);
    for (auto [i, v] : llvm::enumerate(op.getResults()))
      if (rule.vjpNeedsResult(i))
        saved.insert(v);
  }

  MLIRContext *ctx = fn.getContext();
  OpBuilder b(ctx);
  auto markDerived = [&](func::FuncOp f) {
    f.setPrivate();
    f->setAttr(kDerivedFromAttr, FlatSymbolRefAttr::get(fn.getSymNameAttr()));
  };

  // Saving forward: F's body, returning the internals too.
  IRMapping fwdMap;
  auto fwd = cast<func::FuncOp>(fn->clone(fwdMap));
  fwd.setSymName(fwdName);
  {
    auto fwdRet = cast<func::ReturnOp>(fwd.getBody().front().getTerminator());
    SmallVector<Value> results{fwdMap.lookup(out)};
    for (Value v : saved)
      results.push_back(fwdMap.lookupOrDefault(v));
    b.setInsertionPoint(fwdRet);
    func::ReturnOp::create(b, fwdRet.getLoc(), results);
    fwdRet.erase();
    fwd.setFunctionType(FunctionType::get(
        ctx, fn.getArgumentTypes(), ValueRange(results).getTypes()));
  }
  markDerived(fwd);

  // VJP: (x, params..., saved..., dy) -> (dx, dparams...).
  SmallVector<Type> vjpInputs(fn.getArgumentTypes());
  for (Value v : saved)
    vjpInputs.push_back(v.getType());
  vjpInputs.push_back(out.getType());
  b.clearInsertionPoint();
  auto vjp = func::FuncOp::create(
      b, fn.getLoc(), vjpName,
      FunctionType::get(ctx, vjpInputs, fn.getArgumentTypes()));
  Block *entry = vjp.addEntryBlock();
  IRMapping primalMap;
  for (auto [orig, arg] : llvm::zip(body.getArguments(), entry->getArguments()))
    primalMap.map(orig, arg);
  for (auto [i, v] : llvm::enumerate(saved))
    primalMap.map(v, entry->getArgument(fn.getNumArguments() + i));
  b.setInsertionPointToStart(entry);
  Adjoints adjoints;
  adjoints.accumulate(b, ret.getLoc(), out, entry->getArguments().back());
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  auto primal = [&](Value v) { return primalMap.lookup(v); };
  if (failed(reverseSweep(b, ops, active, adjoints, primal, nullptr))) {
    vjp.erase();
    fwd.erase();
    return failure();
  }
  SmallVector<Value> grads;
  for (BlockArgument arg : body.getArguments()) {
    Value g = adjoints.lookup(arg);
    // A gradient that is the argument gradient itself (F = identity) or a
    // zero constant is fine to return as is.
    grads.push_back(g ? g : zerosLike(b, fn.getLoc(), arg.getType()));
  }
  func::ReturnOp::create(b, fn.getLoc(), grads);
  eraseDeadOps(*entry);
  markDerived(vjp);

  symbols.insert(fwd, std::next(fn->getIterator()));
  symbols.insert(vjp, std::next(fwd->getIterator()));
  return CouplingDerivatives{fwd, vjp};
}
