//===- SplitKernels.cpp - halves of large loop kernels on the helper ------===//
//
// A task that runs alone leaves the second core idle while its loop kernels
// run. Each large linalg.generic on buffers is cut in two along a parallel
// loop, each large row kernel (an scf.forall on buffers) along its rows; at
// run time, when the task may use the runtime's helper thread, the second
// half runs there (an async.execute the runtime routes to the helper) while
// the task runs the first; when it may not, the task runs both halves, so
// the results do not depend on the helper.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
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
Operation *cloneOn(OpBuilder &b, linalg::GenericOp op, ValueRange operands) {
  Operation *copy = b.clone(*op);
  copy->setOperands(operands);
  return copy;
}

/// Moves `op` into a private function taking the values it reads from
/// outside (its operands and what its regions capture; constants are
/// copied in) and returns the function; the arguments to call it with go to
/// `args`. The body of an async.execute must stay one block once its loops
/// become branches, so the half it runs is a call.
func::FuncOp outline(ModuleOp module, SymbolTable &symbols, Operation *op,
                     SmallVectorImpl<Value> &args) {
  llvm::SetVector<Value> used(op->getOperands().begin(),
                              op->getOperands().end());
  getUsedValuesDefinedAbove(op->getRegions(), used);
  SmallVector<Operation *> constants;
  for (Value v : used) {
    if (matchPattern(v, m_Constant()))
      constants.push_back(v.getDefiningOp());
    else
      args.push_back(v);
  }
  OpBuilder b(module.getContext());
  auto fn = func::FuncOp::create(
      b, op->getLoc(), "split_kernel_half",
      b.getFunctionType(ValueRange(args).getTypes(), TypeRange{}));
  fn.setPrivate();
  symbols.insert(fn); // Renamed when taken.
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping map;
  for (auto [v, arg] : llvm::zip(args, body->getArguments()))
    map.map(v, arg);
  for (Operation *c : constants)
    b.clone(*c, map);
  b.clone(*op, map);
  func::ReturnOp::create(b, op->getLoc());
  op->erase();
  return fn;
}

/// The dimension to cut the row kernel `op` along (its first of two or more
/// iterations), or nothing when it should stay whole: its iterations times
/// the trip counts of the loops directly in its body are its work.
std::optional<unsigned> splitDim(scf::ForallOp op, int64_t minIterations) {
  if (op.getNumResults() != 0 || op->getParentOfType<async::ExecuteOp>())
    return std::nullopt;
  ArrayRef<int64_t> lbs = op.getStaticLowerBound(),
                    ubs = op.getStaticUpperBound(), steps = op.getStaticStep();
  if (llvm::any_of(llvm::concat<const int64_t>(lbs, ubs, steps),
                   ShapedType::isDynamic))
    return std::nullopt;
  double work = 1;
  std::optional<unsigned> dim;
  for (unsigned d = 0; d < lbs.size(); ++d) {
    int64_t span = std::max<int64_t>(ubs[d] - lbs[d], 0);
    int64_t trips = steps[d] > 0 ? (span + steps[d] - 1) / steps[d] : 0;
    work *= double(trips);
    if (!dim && trips >= 2)
      dim = d;
  }
  double inner = 0;
  for (auto loop : op.getBody()->getOps<scf::ForOp>()) {
    std::optional<APInt> trips = loop.getStaticTripCount();
    inner += trips ? double(trips->getZExtValue()) : 1.0;
  }
  if (!dim || work * std::max(inner, 1.0) < double(minIterations))
    return std::nullopt;
  return dim;
}

/// A copy of the row kernel `op` at `b` running iterations [lo, hi) of
/// dimension `dim`.
Operation *cloneRows(OpBuilder &b, scf::ForallOp op, unsigned dim, int64_t lo,
                     int64_t hi) {
  auto copy = cast<scf::ForallOp>(b.clone(*op));
  SmallVector<int64_t> lbs(op.getStaticLowerBound()),
      ubs(op.getStaticUpperBound());
  lbs[dim] = lo;
  ubs[dim] = hi;
  copy.setStaticLowerBound(lbs);
  copy.setStaticUpperBound(ubs);
  return copy;
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
      module.emitError(
          "pareprop-split-kernels-across-threads: min-iterations must be "
          "at least 1, got ")
          << int64_t(minIterations);
      return signalPassFailure();
    }
    SmallVector<std::pair<Operation *, unsigned>> kernels;
    module.walk([&](Operation *op) {
      std::optional<unsigned> d;
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        d = splitLoop(generic, minIterations);
      else if (auto rows = dyn_cast<scf::ForallOp>(op))
        d = splitDim(rows, minIterations);
      if (d)
        kernels.push_back({op, *d});
    });
    if (kernels.empty())
      return;
    SymbolTable symbols(module);
    func::FuncOp begin = splitBeginFunction(module, symbols);
    if (!begin)
      return signalPassFailure();
    for (auto [op, dim] : kernels) {
      Location loc = op->getLoc();
      OpBuilder b(op);
      Value split =
          func::CallOp::create(b, loc, begin, ValueRange{}).getResult(0);
      auto branch = scf::IfOp::create(b, loc, TypeRange{}, split,
                                      /*withElseRegion=*/true);
      OpBuilder inner = branch.getThenBodyBuilder();
      // The kernel restricted to iterations [from, to) of `dim`, at `inner`.
      std::function<Operation *(int64_t, int64_t)> cloneRange;
      int64_t lo, mid, hi;
      if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        lo = 0;
        hi = generic.getStaticLoopRanges()[dim];
        mid = hi / 2;
        cloneRange = [&, generic, dim = dim](int64_t from, int64_t to) {
          return cloneOn(inner, generic,
                         restrictToRange(inner, generic, dim, from, to - from));
        };
      } else {
        auto rows = cast<scf::ForallOp>(op);
        lo = rows.getStaticLowerBound()[dim];
        hi = rows.getStaticUpperBound()[dim];
        // Whole steps in each half.
        int64_t step = rows.getStaticStep()[dim];
        mid = lo + llvm::divideCeil(hi - lo, 2 * step) * step;
        cloneRange = [&, rows, dim = dim](int64_t from, int64_t to) {
          return cloneRows(inner, rows, dim, from, to);
        };
      }
      SmallVector<Value> args;
      func::FuncOp outlined =
          outline(module, symbols, cloneRange(mid, hi), args);
      auto helper = async::ExecuteOp::create(
          inner, loc, TypeRange{}, ValueRange{}, ValueRange{},
          [&](OpBuilder &eb, Location l, ValueRange) {
            func::CallOp::create(eb, l, outlined, args);
            async::YieldOp::create(eb, l, ValueRange{});
          });
      cloneRange(lo, mid);
      async::AwaitOp::create(inner, loc, helper.getToken());
      // Without the helper the task runs both halves itself: the same code
      // as with it, so that the results (whose sums LLVM may reassociate
      // differently in a whole loop) do not depend on whether it was free.
      inner = OpBuilder::atBlockTerminator(branch.elseBlock());
      cloneRange(lo, mid);
      // The second half's views were made in the other branch.
      IRMapping views;
      SmallVector<Value> elseArgs;
      for (Value arg : args) {
        Operation *def = arg.getDefiningOp();
        if (def && def->getBlock() == branch.thenBlock()) {
          Operation *copy = inner.clone(*def, views);
          elseArgs.push_back(
              copy->getResult(cast<OpResult>(arg).getResultNumber()));
        } else {
          elseArgs.push_back(arg);
        }
      }
      func::CallOp::create(inner, loc, outlined, elseArgs);
      op->erase();
    }
  }
};

} // namespace
