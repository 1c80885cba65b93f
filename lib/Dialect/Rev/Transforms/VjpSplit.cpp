//===- VjpSplit.cpp - a VJP cut into input- and parameter-gradient parts --===//

#include "pareprop/Dialect/Rev/Transforms/VjpSplit.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace pareprop;

static constexpr llvm::StringLiteral kDerivedFromAttr =
    rev::RevDialect::kDerivedFromAttr;
static constexpr llvm::StringLiteral kSplitArgsAttr =
    rev::RevDialect::kSplitArgsAttr;

namespace {

/// Operand-free constants: copied into whichever part needs them rather than
/// passed between the parts.
bool isFreeToCopy(Operation *op) {
  return op->getNumOperands() == 0 && op->hasTrait<OpTrait::ConstantLike>();
}

/// Ops whose result is a view of their first operand once bufferized (a
/// reshape becomes a collapse/expand of the same buffer).
bool isView(Operation *op) { return isa<nn::ReshapeOp>(op); }

/// Calls `fn` on every value `op` (or an op nested in it) reads that is
/// defined outside `op`.
void forEachExternalOperand(Operation *op, function_ref<void(Value)> fn) {
  op->walk([&](Operation *nested) {
    for (Value v : nested->getOperands()) {
      Region *defRegion = v.getParentRegion();
      if (nested == op || !op->isProperAncestor(defRegion->getParentOp()))
        fn(v);
    }
  });
}

/// Ops of `body` that `roots` depend on, transitively.
DenseSet<Operation *> backwardSlice(Block &body, ValueRange roots) {
  DenseSet<Operation *> slice;
  SmallVector<Operation *> work;
  auto visit = [&](Value v) {
    if (Operation *def = v.getDefiningOp())
      if (Operation *top = body.findAncestorOpInBlock(*def))
        work.push_back(top);
  };
  for (Value v : roots)
    visit(v);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (slice.insert(op).second)
      forEachExternalOperand(op, visit);
  }
  return slice;
}

/// Block arguments among `values`, as sorted argument numbers.
SmallVector<unsigned> argumentNumbers(const llvm::SetVector<Value> &values) {
  SmallVector<unsigned> out;
  for (Value v : values)
    if (auto arg = dyn_cast<BlockArgument>(v))
      out.push_back(arg.getArgNumber());
  llvm::sort(out);
  return out;
}

/// A function `name` whose arguments are `body`'s arguments at `args`
/// followed by `extraInputs`, running `ops` (in body order) and returning
/// `results`.
func::FuncOp outline(func::FuncOp from, StringRef name, ArrayRef<unsigned> args,
                     ArrayRef<Value> extraInputs,
                     const DenseSet<Operation *> &ops,
                     ArrayRef<Value> results) {
  Block &body = from.getBody().front();
  MLIRContext *ctx = from.getContext();
  SmallVector<Type> inputTypes;
  for (unsigned a : args)
    inputTypes.push_back(body.getArgument(a).getType());
  for (Value v : extraInputs)
    inputTypes.push_back(v.getType());
  OpBuilder b(ctx);
  auto fn = func::FuncOp::create(
      b, from.getLoc(), name,
      FunctionType::get(ctx, inputTypes, ValueRange(results).getTypes()));
  Block *entry = fn.addEntryBlock();
  IRMapping map;
  for (auto [i, a] : llvm::enumerate(args))
    map.map(body.getArgument(a), entry->getArgument(i));
  for (auto [i, v] : llvm::enumerate(extraInputs))
    map.map(v, entry->getArgument(args.size() + i));
  b.setInsertionPointToStart(entry);
  for (Operation &op : body.without_terminator())
    if (ops.contains(&op))
      b.clone(op, map);
  SmallVector<Value> mapped;
  for (Value v : results)
    mapped.push_back(map.lookup(v));
  func::ReturnOp::create(b, from.getLoc(), mapped);
  fn.setPrivate();
  // Derived from what the VJP was derived from: a reference to the VJP
  // itself would keep it alive once nothing calls it.
  if (Attribute origin = from->getAttr(kDerivedFromAttr))
    fn->setAttr(kDerivedFromAttr, origin);
  fn->setAttr(kSplitArgsAttr,
              b.getDenseI64ArrayAttr(llvm::to_vector_of<int64_t>(args)));
  return fn;
}

/// The part `name` made earlier from `vjp` (named after it, derived from the
/// same function), with its argument selection.
func::FuncOp findPart(func::FuncOp vjp, SymbolTable &symbols, StringRef name,
                      SmallVectorImpl<unsigned> &args) {
  auto fn = symbols.lookup<func::FuncOp>(name);
  if (!fn)
    return nullptr;
  auto selected = fn->getAttrOfType<DenseI64ArrayAttr>(kSplitArgsAttr);
  if (!selected ||
      fn->getAttr(kDerivedFromAttr) != vjp->getAttr(kDerivedFromAttr))
    return nullptr;
  args.assign(selected.asArrayRef().begin(), selected.asArrayRef().end());
  return fn;
}

} // namespace

FailureOr<VjpSplit> pareprop::getOrCreateVjpSplit(func::FuncOp vjp,
                                                  SymbolTable &symbols) {
  std::string dxName = (vjp.getSymName() + "_dx").str();
  std::string dwName = (vjp.getSymName() + "_dw").str();
  VjpSplit split;
  split.dx = findPart(vjp, symbols, dxName, split.dxArgs);
  split.dw = findPart(vjp, symbols, dwName, split.dwArgs);
  if (split.dx && split.dw) {
    split.numCuts = split.dx.getNumResults() - 1;
    return split;
  }

  if (vjp.isExternal() || !vjp.getBody().hasOneBlock())
    return vjp.emitError() << "cannot split the gradient function @"
                           << vjp.getSymName()
                           << ": it must have a body of one block";
  if (vjp.getNumResults() == 0)
    return vjp.emitError() << "cannot split the gradient function @"
                           << vjp.getSymName()
                           << ": it returns no input gradient";
  Block &body = vjp.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value dx = ret.getOperand(0);
  auto paramGrads = ret.getOperands().drop_front();

  DenseSet<Operation *> dxOps = backwardSlice(body, dx);
  DenseSet<Operation *> dwOps;
  bool dwHasWork = false;
  for (Operation *op : backwardSlice(body, paramGrads)) {
    if (isFreeToCopy(op)) {
      dwOps.insert(op);
    } else if (!dxOps.contains(op)) {
      dwOps.insert(op);
      dwHasWork = true;
    }
  }
  // Nothing to run beside the input gradient: keep the VJP whole.
  if (!dwHasWork) {
    VjpSplit whole;
    whole.dx = vjp;
    for (unsigned i = 0; i < vjp.getNumArguments(); ++i)
      whole.dxArgs.push_back(i);
    whole.numCuts = paramGrads.size();
    return whole;
  }

  // What each part reads from outside itself: arguments, and for the dW
  // part, the cuts (values of the dX part). A view the dW part reads is
  // rebuilt there from what it views rather than passed: returned beside
  // the buffer it views, it would cost a copy (convert-rev-to-async copies
  // such results so that no buffer is freed twice).
  llvm::SetVector<Value> dxReads, dwReads, cuts;
  for (Operation &op : body.without_terminator())
    if (dxOps.contains(&op))
      forEachExternalOperand(&op, [&](Value v) { dxReads.insert(v); });
  dxReads.insert(dx);
  bool grown = true;
  while (grown) {
    grown = false;
    dwReads.clear();
    for (Operation &op : body.without_terminator())
      if (dwOps.contains(&op))
        forEachExternalOperand(&op, [&](Value v) { dwReads.insert(v); });
    for (Value v : paramGrads)
      dwReads.insert(v);
    for (Value v : dwReads)
      if (Operation *def = v.getDefiningOp();
          def && isView(def) && dwOps.insert(def).second)
        grown = true;
  }
  for (Value v : dwReads) {
    if (isa<BlockArgument>(v))
      continue;
    Operation *def = body.findAncestorOpInBlock(*v.getDefiningOp());
    if (!dwOps.contains(def))
      cuts.insert(v);
  }
  if (symbols.lookup(dxName) || symbols.lookup(dwName))
    return vjp.emitError() << "cannot split the gradient function @"
                           << vjp.getSymName() << ": the symbol @" << dxName
                           << " or @" << dwName << " is already taken";

  VjpSplit out;
  out.dxArgs = argumentNumbers(dxReads);
  out.dwArgs = argumentNumbers(dwReads);
  out.numCuts = cuts.size();
  SmallVector<Value> dxResults{dx};
  llvm::append_range(dxResults, cuts);
  out.dx = outline(vjp, dxName, out.dxArgs, {}, dxOps, dxResults);
  out.dw = outline(vjp, dwName, out.dwArgs, cuts.getArrayRef(), dwOps,
                   SmallVector<Value>(paramGrads));
  symbols.insert(out.dx, std::next(vjp->getIterator()));
  symbols.insert(out.dw, std::next(out.dx->getIterator()));
  return out;
}
