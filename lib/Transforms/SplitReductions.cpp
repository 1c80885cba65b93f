//===- SplitReductions.cpp - reductions as partials and a combine --------===//
//
// A reduction linalg.generic on buffers becomes scf.parallel loops whose
// iterations are independent, so that a GPU lowering gives each iteration a
// thread: partial reductions over strided slices of the reduced range, then
// one combine per output. See SplitReductions.h.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Transforms/SplitReductions.h"
#include "pareprop/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

namespace pareprop {
#define GEN_PASS_DEF_SPLITLINALGREDUCTIONS
#include "pareprop/Transforms/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;

int64_t pareprop::chooseReductionSplits(int64_t outputs, int64_t reduced,
                                        int64_t targetThreads,
                                        int64_t minPerThread,
                                        int64_t maxSplits) {
  if (outputs <= 0 || reduced <= 0 || targetThreads <= outputs)
    return 1;
  int64_t wanted = (targetThreads + outputs - 1) / outputs;
  int64_t byWork = reduced / std::max<int64_t>(minPerThread, 1);
  return std::max<int64_t>(
      1, std::min({wanted, byWork, std::max<int64_t>(maxSplits, 1)}));
}

namespace {

/// The op of `op`'s payload that combines the output's running value with
/// the term the inputs give (`yield combine(out, term)`), or null.
Operation *combiningOp(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || op.getRegionOutputArgs().size() != 1)
    return nullptr;
  BlockArgument out = op.getRegionOutputArgs()[0];
  Operation *combine = yield.getOperand(0).getDefiningOp();
  if (!combine || combine->getBlock() != &body ||
      combine->getNumOperands() != 2 || combine->getNumResults() != 1 ||
      !out.hasOneUse() || *out.getUsers().begin() != combine ||
      combine->getOperand(0) == combine->getOperand(1))
    return nullptr;
  return combine;
}

/// Operand index of the combining op that is not the output's value.
unsigned termOperand(Operation *combine, BlockArgument out) {
  return combine->getOperand(0) == out ? 1 : 0;
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Indices of `operand` (indexing map `map`) at the loop indices `ivs`.
SmallVector<Value> operandIndices(OpBuilder &b, Location loc, AffineMap map,
                                  ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), map.getNumSymbols(), expr),
        ivs));
  }
  return indices;
}

/// Whether the last index of `map`'s largest-by-elements memref operand
/// moves with a reduction dimension: then consecutive reduction indices are
/// consecutive addresses.
bool reductionIsInnermost(linalg::GenericOp op) {
  OpOperand *largest = nullptr;
  int64_t most = -1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (!type || type.getRank() == 0 || !type.hasStaticShape())
      continue;
    if (type.getNumElements() > most) {
      most = type.getNumElements();
      largest = input;
    }
  }
  if (!largest)
    return true;
  AffineExpr last = op.getMatchingIndexingMap(largest).getResults().back();
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction && last.isFunctionOfDim(d))
      return true;
  return false;
}

} // namespace

std::string pareprop::whyNotSplittable(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics())
    return "it is not on buffers";
  if (op.getNumDpsInits() != 1)
    return "it has more than one output";
  if (op.getNumReductionLoops() == 0)
    return "it has no reduction loop";
  if (op.getNumParallelLoops() + op.getNumReductionLoops() != op.getNumLoops())
    return "it has loops that are neither parallel nor reductions";
  for (int64_t size : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(size))
      return "its loop bounds are not static";
    if (size == 0)
      return "it has no iterations";
  }
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(init->get().getType());
  if (!outType || !outType.getElementType().isIntOrFloat())
    return "its output is not a memref of integers or floats";
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (AffineExpr expr : op.getMatchingIndexingMap(init).getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || iterators[dim.getPosition()] != utils::IteratorType::parallel)
      return "its output is not indexed by parallel loops alone";
  }
  for (OpOperand *input : op.getDpsInputOperands())
    if (input->get() == init->get())
      return "an input is its output";
  Operation *combine = combiningOp(op);
  if (!combine)
    return "its payload is not `yield combine(out, term)`";
  if (!arith::getNeutralElement(combine))
    return "its combining op has no known neutral element";
  return "";
}

linalg::FillOp pareprop::foldableFillBefore(linalg::GenericOp op) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || op.getNumDpsInits() != 1 ||
      fill.getOutputs()[0] != op.getDpsInits()[0] ||
      fill.getInputs()[0].getType() !=
          getElementTypeOrSelf(fill.getOutputs()[0].getType()))
    return nullptr;
  return fill;
}

LogicalResult pareprop::splitLinalgReduction(RewriterBase &rewriter,
                                             linalg::GenericOp op,
                                             int64_t targetThreads,
                                             int64_t minPerThread,
                                             Value initialValue) {
  if (!whyNotSplittable(op).empty())
    return failure();
  Type elementType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType())
                         .getElementType();
  if (initialValue && initialValue.getType() != elementType)
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> parallelDims, reductionDims;
  int64_t outputs = 1, reduced = 1;
  for (auto [d, it] : llvm::enumerate(iterators)) {
    if (it == utils::IteratorType::parallel) {
      parallelDims.push_back(d);
      outputs *= ranges[d];
    } else {
      reductionDims.push_back(d);
      reduced *= ranges[d];
    }
  }
  Location loc = op.getLoc();
  Operation *combine = combiningOp(op);
  BlockArgument outArg = op.getRegionOutputArgs()[0];
  unsigned termIndex = termOperand(combine, outArg);
  TypedAttr neutral = *arith::getNeutralElement(combine);
  OpOperand *init = op.getDpsInitOperand(0);
  Value out = init->get();
  AffineMap outMap = op.getMatchingIndexingMap(init);
  // Where each output's reduction starts.
  auto initialOutput = [&](OpBuilder &b, ArrayRef<Value> indices) -> Value {
    if (initialValue)
      return initialValue;
    return memref::LoadOp::create(b, loc, out, indices);
  };

  int64_t splits =
      chooseReductionSplits(outputs, reduced, targetThreads, minPerThread);
  bool sliceLast = reductionIsInnermost(op);

  // The partial loop's dimensions: the parallel loops and the slice, the
  // slice fastest when the reduction runs along memory (consecutive slices
  // read consecutive elements), slowest otherwise (consecutive outputs do).
  SmallVector<int64_t> partialDims;
  constexpr int64_t kSlice = -1;
  if (splits > 1 && !sliceLast)
    partialDims.push_back(kSlice);
  for (unsigned d : parallelDims)
    partialDims.push_back(d);
  if (splits > 1 && sliceLast)
    partialDims.push_back(kSlice);
  auto sizeOf = [&](int64_t dim) {
    return dim == kSlice ? splits : ranges[dim];
  };

  rewriter.setInsertionPoint(op);
  Value partialBuffer;
  if (splits > 1) {
    SmallVector<int64_t> shape;
    for (int64_t dim : partialDims)
      shape.push_back(sizeOf(dim));
    partialBuffer = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(shape, elementType));
  }

  // scf.parallel over `dims` (a single one-iteration loop when empty: a
  // full reduction without slices).
  auto parallelOver = [&](ArrayRef<int64_t> dims,
                          function_ref<void(OpBuilder &, ValueRange)> body) {
    SmallVector<Value> lbs, ubs, steps;
    Value zero = indexConstant(rewriter, loc, 0);
    Value one = indexConstant(rewriter, loc, 1);
    for (int64_t dim : dims) {
      lbs.push_back(zero);
      ubs.push_back(indexConstant(rewriter, loc, sizeOf(dim)));
      steps.push_back(one);
    }
    if (dims.empty()) {
      lbs.push_back(zero);
      ubs.push_back(one);
      steps.push_back(one);
    }
    return scf::ParallelOp::create(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location, ValueRange ivs) { body(b, ivs); });
  };

  Block &payload = op.getRegion().front();
  parallelOver(partialDims, [&](OpBuilder &b, ValueRange ivs) {
    SmallVector<Value> full(ranges.size());
    Value slice;
    for (auto [dim, iv] : llvm::zip(partialDims, ivs)) {
      if (dim == kSlice)
        slice = iv;
      else
        full[dim] = iv;
    }
    SmallVector<Value> outIndices;
    if (splits == 1)
      outIndices = operandIndices(b, loc, outMap, full);
    Value start = splits > 1
                      ? arith::ConstantOp::create(b, loc, neutral).getResult()
                      : initialOutput(b, outIndices);
    Value first = slice ? slice : indexConstant(b, loc, 0);
    auto loop = scf::ForOp::create(
        b, loc, first, indexConstant(b, loc, reduced),
        indexConstant(b, loc, splits), ValueRange{start},
        [&](OpBuilder &fb, Location, Value k, ValueRange acc) {
          // The reduction indices of k, the last reduction loop fastest.
          Value rest = k;
          for (unsigned j = reductionDims.size(); j-- > 0;) {
            unsigned dim = reductionDims[j];
            if (j == 0) {
              full[dim] = rest;
              break;
            }
            Value size = indexConstant(fb, loc, ranges[dim]);
            full[dim] = arith::RemUIOp::create(fb, loc, rest, size);
            rest = arith::DivUIOp::create(fb, loc, rest, size);
          }
          IRMapping map;
          for (auto [operand, arg] :
               llvm::zip(op.getDpsInputOperands(), op.getRegionInputArgs())) {
            if (arg.use_empty())
              continue;
            Value v = operand->get();
            if (isa<MemRefType>(v.getType()))
              v = memref::LoadOp::create(
                  fb, loc, v,
                  operandIndices(fb, loc, op.getMatchingIndexingMap(operand),
                                 full));
            map.map(arg, v);
          }
          map.map(outArg, acc[0]);
          for (Operation &inner : payload.without_terminator()) {
            if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
              map.map(index.getResult(), full[index.getDim()]);
              continue;
            }
            fb.clone(inner, map);
          }
          scf::YieldOp::create(
              fb, loc, map.lookup(payload.getTerminator()->getOperand(0)));
        });
    if (splits > 1)
      memref::StoreOp::create(b, loc, loop.getResult(0), partialBuffer, ivs);
    else
      memref::StoreOp::create(b, loc, loop.getResult(0), out, outIndices);
  });

  if (splits > 1) {
    SmallVector<int64_t> outputDims(parallelDims.begin(), parallelDims.end());
    parallelOver(outputDims, [&](OpBuilder &b, ValueRange ivs) {
      SmallVector<Value> full(ranges.size());
      for (auto [dim, iv] : llvm::zip(parallelDims, ivs))
        full[dim] = iv;
      SmallVector<Value> outIndices = operandIndices(b, loc, outMap, full);
      Value start = initialOutput(b, outIndices);
      auto loop = scf::ForOp::create(
          b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, splits),
          indexConstant(b, loc, 1), ValueRange{start},
          [&](OpBuilder &fb, Location, Value s, ValueRange acc) {
            SmallVector<Value> at;
            for (int64_t dim : partialDims)
              at.push_back(dim == kSlice ? s : full[dim]);
            IRMapping map;
            map.map(outArg, acc[0]);
            map.map(combine->getOperand(termIndex),
                    memref::LoadOp::create(fb, loc, partialBuffer, at));
            scf::YieldOp::create(fb, loc,
                                 fb.clone(*combine, map)->getResult(0));
          });
      memref::StoreOp::create(b, loc, loop.getResult(0), out, outIndices);
    });
    memref::DeallocOp::create(rewriter, loc, partialBuffer);
  }
  rewriter.eraseOp(op);
  return success();
}

namespace {

struct SplitLinalgReductionsPass
    : pareprop::impl::SplitLinalgReductionsBase<SplitLinalgReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (targetThreads < 1 || minPerThread < 1) {
      getOperation().emitError(
          "pareprop-split-linalg-reductions: target-threads and "
          "min-per-thread must be at least 1");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> reductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (whyNotSplittable(op).empty())
        reductions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : reductions) {
      // A fill of the output right before is where the reduction starts.
      linalg::FillOp fill = foldableFillBefore(op);
      Value initialValue = fill ? fill.getInputs()[0] : Value();
      if (failed(splitLinalgReduction(rewriter, op, targetThreads, minPerThread,
                                      initialValue)))
        continue;
      if (fill)
        rewriter.eraseOp(fill);
    }
  }
};

} // namespace
