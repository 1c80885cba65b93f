//===- SplitKernels.cpp - halves of large loop kernels on the helper ------===//
//
// A task that runs alone leaves the second core idle while its loop kernels
// run. Each large linalg.generic on buffers is cut in two along a parallel
// loop; at run time, when the task may use the runtime's helper thread, the
// second half runs there (an async.execute the runtime routes to the
// helper) while the task runs the first.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace pareprop {
#define GEN_PASS_DEF_SPLITKERNELSACROSSTHREADS
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kSplitBegin = "pareprop_split_kernel_begin";

/// Position of the result of `map` that is exactly loop `dim`, or -1 when
/// none is; -2 when `dim` appears in any other way (in a compound
/// expression, or twice).
int64_t plainPosition(AffineMap map, unsigned dim) {
  int64_t found = -1;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (d && d.getPosition() == dim) {
      if (found != -1)
        return -2;
      found = int64_t(i);
    } else if (e.isFunctionOfDim(dim)) {
      return -2;
    }
  }
  return found;
}

/// The loop to cut `op` along, or nothing when it should stay whole.
std::optional<unsigned> splitLoop(linalg::GenericOp op, int64_t minIterations) {
  if (!op.hasPureBufferSemantics() ||
      !op.getBody()->getOps<linalg::IndexOp>().empty() ||
      op->getParentOfType<async::ExecuteOp>())
    return std::nullopt;
  // The outlined half can copy constants the body reads from outside, not
  // other values.
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op.getRegion(), captured);
  if (!llvm::all_of(captured,
                    [](Value v) { return matchPattern(v, m_Constant()); }))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  double iterations = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return std::nullopt;
    iterations *= double(r);
  }
  if (iterations < double(minIterations))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (iterators[d] != utils::IteratorType::parallel || ranges[d] < 2)
      continue;
    bool ok = true;
    for (OpOperand &operand : op->getOpOperands()) {
      int64_t pos = plainPosition(op.getMatchingIndexingMap(&operand), d);
      // Outputs are written by row: each half must own its rows.
      if (pos == -2 || (op.isDpsInit(&operand) && pos < 0) ||
          (pos >= 0 && !isa<MemRefType>(operand.get().getType())))
        ok = false;
    }
    if (ok)
      return d;
  }
  return std::nullopt;
}

/// The operands of `op` restricted to iterations [lo, lo + size) of loop
/// `dim`: a subview of each operand indexed by it, the rest unchanged.
SmallVector<Value> restrictToRange(OpBuilder &b, linalg::GenericOp op,
                                   unsigned dim, int64_t lo, int64_t size) {
  SmallVector<Value> operands;
  for (OpOperand &operand : op->getOpOperands()) {
    int64_t pos = plainPosition(op.getMatchingIndexingMap(&operand), dim);
    Value v = operand.get();
    if (pos < 0) {
      operands.push_back(v);
      continue;
    }
    auto type = cast<MemRefType>(v.getType());
    SmallVector<int64_t> offsets(type.getRank(), 0);
    SmallVector<int64_t> sizes(type.getShape());
    SmallVector<int64_t> strides(type.getRank(), 1);
    offsets[pos] = lo;
    sizes[pos] = size;
    operands.push_back(
        memref::SubViewOp::create(b, op.getLoc(), v, offsets, sizes, strides));
  }
  return operands;
}

/// A copy of `op` at `b` running on `operands`.
void cloneOn(OpBuilder &b, linalg::GenericOp op, ValueRange operands) {
  Operation *copy = b.clone(*op);
  copy->setOperands(operands);
}

/// A private function running `op` on its arguments, of the types of
/// `operands`: the body of an async.execute must stay one block once its
/// loops become branches, so the half it runs is a call.
func::FuncOp outlineHalf(ModuleOp module, SymbolTable &symbols,
                         linalg::GenericOp op, ValueRange operands) {
  OpBuilder b(module.getContext());
  auto fn =
      func::FuncOp::create(b, op.getLoc(), "split_kernel_half",
                           b.getFunctionType(TypeRange(operands), TypeRange{}));
  fn.setPrivate();
  symbols.insert(fn); // Renamed when taken.
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping constants;
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op.getRegion(), captured);
  for (Value v : captured)
    constants.map(v, b.clone(*v.getDefiningOp())
                         ->getResult(cast<OpResult>(v).getResultNumber()));
  Operation *copy = b.clone(*op, constants);
  copy->setOperands(body->getArguments());
  func::ReturnOp::create(b, op.getLoc());
  return fn;
}

/// The runtime's pareprop_split_kernel_begin, declared on first use; null
/// (after an error) when the module defines the name differently.
func::FuncOp splitBeginFunction(ModuleOp module, SymbolTable &symbols) {
  Builder b(module.getContext());
  FunctionType type = b.getFunctionType({}, {b.getI1Type()});
  if (Operation *existing = symbols.lookup(kSplitBegin)) {
    auto fn = dyn_cast<func::FuncOp>(existing);
    if (fn && fn.isExternal() && fn.getFunctionType() == type)
      return fn;
    existing->emitError("'")
        << kSplitBegin
        << "' is the runtime's split check; expected an external function "
           "of type "
        << type;
    return nullptr;
  }
  OpBuilder ob(module.getBodyRegion());
  ob.setInsertionPointToStart(module.getBody());
  auto fn = func::FuncOp::create(ob, module.getLoc(), kSplitBegin, type);
  fn.setPrivate();
  symbols.insert(fn);
  return fn;
}

struct SplitKernelsAcrossThreadsPass
    : pareprop::impl::SplitKernelsAcrossThreadsBase<
          SplitKernelsAcrossThreadsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (minIterations < 1) {
      module.emitError("split-kernels-across-threads: min-iterations must be "
                       "at least 1, got ")
          << int64_t(minIterations);
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, unsigned>> kernels;
    module.walk([&](linalg::GenericOp op) {
      if (std::optional<unsigned> d = splitLoop(op, minIterations))
        kernels.push_back({op, *d});
    });
    if (kernels.empty())
      return;
    SymbolTable symbols(module);
    func::FuncOp begin = splitBeginFunction(module, symbols);
    if (!begin)
      return signalPassFailure();
    for (auto [op, dim] : kernels) {
      Location loc = op.getLoc();
      OpBuilder b(op);
      int64_t range = op.getStaticLoopRanges()[dim], half = range / 2;
      Value split =
          func::CallOp::create(b, loc, begin, ValueRange{}).getResult(0);
      auto branch = scf::IfOp::create(b, loc, TypeRange{}, split,
                                      /*withElseRegion=*/true);
      OpBuilder inner = branch.getThenBodyBuilder();
      SmallVector<Value> second =
          restrictToRange(inner, op, dim, half, range - half);
      func::FuncOp outlined = outlineHalf(module, symbols, op, second);
      auto helper = async::ExecuteOp::create(
          inner, loc, TypeRange{}, ValueRange{}, ValueRange{},
          [&](OpBuilder &eb, Location l, ValueRange) {
            func::CallOp::create(eb, l, outlined, second);
            async::YieldOp::create(eb, l, ValueRange{});
          });
      cloneOn(inner, op, restrictToRange(inner, op, dim, 0, half));
      async::AwaitOp::create(inner, loc, helper.getToken());
      op->moveBefore(branch.elseBlock()->getTerminator());
    }
  }
};

} // namespace
