//===- BuildTrainingStep.cpp - loss function -> training step -------------===//
//
// Reverse-mode differentiation of a loss function through reversible blocks.
// Reversible mode: the backward of block k reads its outputs from the
// recomputation of block k+1 (or from the forward for the last block of a
// chain), so no per-block activation outlives the forward.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/Rev/Transforms/Autodiff.h"
#include "pareprop/Dialect/Rev/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"

namespace pareprop::rev {
#define GEN_PASS_DEF_REVBUILDTRAININGSTEP
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

struct BlockDerivatives {
  CouplingDerivatives f, g;
};

/// What the backward of one coupling reads from a stored forward.
struct StoredInternals {
  Value x2, y1;
  SmallVector<Value> fSaved, gSaved;
};

class StepBuilder {
public:
  StepBuilder(func::FuncOp loss, SymbolTable &symbols, bool reversible,
              bool checkReconstruction, bool checkpointTransitions)
      : loss(loss), symbols(symbols), reversible(reversible),
        checkReconstruction(reversible && checkReconstruction),
        checkpointTransitions(checkpointTransitions), b(loss.getContext()) {}

  LogicalResult build();

private:
  LogicalResult checkLossFunction();
  LogicalResult deriveCouplings();
  void emitForward();
  FailureOr<bool> emitBlockBackward(BlockOp block);
  Value emitReconstructionReport(Location loc);
  void findTransitions();
  Value replay(Value v);
  Value primal(Value v) {
    if (Value r = recomputed.lookup(v))
      return r;
    if (Operation *def = v.getDefiningOp(); def && segmentOf.count(def))
      return replay(v);
    return forwardMap.lookupOrDefault(v);
  }

  func::FuncOp loss;
  SymbolTable &symbols;
  bool reversible;
  bool checkReconstruction;
  bool checkpointTransitions;
  OpBuilder b;
  func::FuncOp step;
  SmallVector<unsigned> gradArgs;
  DenseMap<Operation *, BlockDerivatives> derivatives;
  DenseMap<Operation *, StoredInternals> stored;
  IRMapping forwardMap;
  /// Forward values rebuilt by rev.recompute: the backward reads these.
  DenseMap<Value, Value> recomputed;
  Adjoints adjoints;
  /// check-reconstruction: blocks in forward order and, per block, the
  /// error statistics of its rebuilt X1 and X2.
  SmallVector<BlockOp> blocksInOrder;
  DenseMap<Operation *, std::pair<Value, Value>> reconstructionErrors;
  /// transitions=checkpoint: the segment of each non-reversible op before
  /// the last rev.block (loss-function ops; segments are split by
  /// rev.blocks), and the values their replays made.
  DenseMap<Operation *, unsigned> segmentOf;
  DenseMap<Value, Value> replayed;
};

/// Segments are the runs of non-reversible ops between reversible blocks
/// (the prefix and the stage transitions). Ops after the last block (the
/// head and the loss) run right before their backprop anyway: replaying
/// them would save nothing.
void StepBuilder::findTransitions() {
  if (!checkpointTransitions)
    return;
  Block &body = loss.getBody().front();
  Operation *lastBlock = nullptr;
  for (BlockOp block : body.getOps<BlockOp>())
    lastBlock = block;
  if (!lastBlock)
    return;
  unsigned segment = 0;
  bool afterBlock = false;
  for (Operation &op : body) {
    if (&op == lastBlock)
      break;
    if (isa<BlockOp>(op)) {
      afterBlock = true;
      continue;
    }
    if (op.getNumOperands() == 0 && op.hasTrait<OpTrait::ConstantLike>())
      continue;
    // Only activations are worth a replay: random keys and scalars are
    // kept (a replayed key would be a task of its own for a few bytes).
    bool activations = llvm::all_of(op.getResults(), [](Value r) {
      auto t = dyn_cast<RankedTensorType>(r.getType());
      return t && t.getRank() > 0 && isa<FloatType>(t.getElementType());
    });
    if (!activations)
      continue;
    if (afterBlock && !segmentOf.empty())
      ++segment;
    afterBlock = false;
    segmentOf[&op] = segment;
  }
}

/// Replays `op` of a transition at the builder's insertion point (in the
/// backward, where a gradient rule first needs its result), after the ops of
/// its segment that it reads; inputs from outside come from what the
/// backward holds for them. Only what the backward reads is replayed (a
/// random key derived in the prefix does not drag the whole prefix along),
/// and the forward's own internals of the segment die with the forward.
/// Tagged so the scheduler makes the replays `checkpoint` nodes.
Value StepBuilder::replay(Value v) {
  if (Value r = replayed.lookup(v))
    return r;
  Operation *op = v.getDefiningOp();
  IRMapping map;
  for (Value operand : op->getOperands())
    map.map(operand, primal(operand));
  auto tag = b.getDictionaryAttr(
      {b.getNamedAttr("kind",
                      b.getStringAttr(stringifyTaskKind(TaskKind::Checkpoint))),
       b.getNamedAttr("segment", b.getI64IntegerAttr(segmentOf.lookup(op)))});
  Operation *clone = b.clone(*op, map);
  clone->setAttr(RevDialect::kWorkAttr, tag);
  for (auto [r, c] : llvm::zip(op->getResults(), clone->getResults()))
    replayed[r] = c;
  return replayed.lookup(v);
}

LogicalResult StepBuilder::checkLossFunction() {
  if (loss.isExternal())
    return loss.emitError("loss function has no body");
  if (!loss.getBody().hasOneBlock())
    return loss.emitError("loss function must have a single block");
  auto resultType = loss.getNumResults() == 1
                        ? dyn_cast<RankedTensorType>(loss.getResultTypes()[0])
                        : RankedTensorType();
  if (!resultType || resultType.getRank() != 0 ||
      !isa<FloatType>(resultType.getElementType()))
    return loss.emitError("loss function must return exactly one rank-0 "
                          "floating-point tensor, got ")
           << loss.getFunctionType();
  for (Operation &op : loss.getBody().front().without_terminator())
    if (op.getNumRegions() != 0)
      return op.emitError("control flow in a loss function is not supported");
  for (auto [i, type] : llvm::enumerate(loss.getArgumentTypes())) {
    auto t = dyn_cast<RankedTensorType>(type);
    bool differentiable = t && isa<FloatType>(t.getElementType()) &&
                          !loss.getArgAttr(i, RevDialect::kNoGradAttr);
    if (differentiable)
      gradArgs.push_back(i);
  }
  return success();
}

LogicalResult StepBuilder::deriveCouplings() {
  WalkResult walk = loss.walk([&](BlockOp block) {
    auto f = symbols.lookup<func::FuncOp>(block.getF());
    auto g = symbols.lookup<func::FuncOp>(block.getG());
    if (!f || !g) {
      block.emitOpError("refers to a missing function");
      return WalkResult::interrupt();
    }
    auto df = getOrCreateCouplingDerivatives(f, symbols);
    if (failed(df))
      return WalkResult::interrupt();
    auto dg = getOrCreateCouplingDerivatives(g, symbols);
    if (failed(dg))
      return WalkResult::interrupt();
    derivatives[block] = {*df, *dg};
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

void StepBuilder::emitForward() {
  Block &body = loss.getBody().front();
  for (auto [orig, arg] :
       llvm::zip(body.getArguments(), step.getBody().front().getArguments()))
    forwardMap.map(orig, arg);
  for (Operation &op : body.without_terminator()) {
    auto block = dyn_cast<BlockOp>(op);
    if (!block || reversible) {
      b.clone(op, forwardMap);
      continue;
    }
    // Ordinary backprop: run the saving forwards and keep their internals.
    BlockDerivatives d = derivatives[block];
    Location loc = block.getLoc();
    auto m = [&](ValueRange vs) {
      return llvm::to_vector(llvm::map_range(
          vs, [&](Value v) { return forwardMap.lookupOrDefault(v); }));
    };
    Value x1 = forwardMap.lookupOrDefault(block.getX1());
    Value x2 = forwardMap.lookupOrDefault(block.getX2());
    SmallVector<Value> fArgs{x2};
    llvm::append_range(fArgs, m(block.getFParams()));
    auto fCall = func::CallOp::create(b, loc, d.f.forward, fArgs);
    Value y1 = nn::AddOp::create(b, loc, x1, fCall.getResult(0));
    SmallVector<Value> gArgs{y1};
    llvm::append_range(gArgs, m(block.getGParams()));
    auto gCall = func::CallOp::create(b, loc, d.g.forward, gArgs);
    Value y2 = nn::AddOp::create(b, loc, x2, gCall.getResult(0));
    forwardMap.map(block.getY1(), y1);
    forwardMap.map(block.getY2(), y2);
    StoredInternals &s = stored[block];
    s.x2 = x2;
    s.y1 = y1;
    s.fSaved.assign(fCall.getResults().begin() + 1, fCall.getResults().end());
    s.gSaved.assign(gCall.getResults().begin() + 1, gCall.getResults().end());
  }
}

FailureOr<bool> StepBuilder::emitBlockBackward(BlockOp block) {
  Location loc = block.getLoc();
  Value dy1 = adjoints.lookup(block.getY1());
  Value dy2 = adjoints.lookup(block.getY2());
  if (!dy1 && !dy2)
    return true;
  dy1 = adjoints.lookupOrZero(b, loc, block.getY1());
  dy2 = adjoints.lookupOrZero(b, loc, block.getY2());
  BlockDerivatives d = derivatives[block];
  auto m = [&](ValueRange vs) {
    return llvm::to_vector(
        llvm::map_range(vs, [&](Value v) { return primal(v); }));
  };
  SmallVector<Value> fParams = m(block.getFParams());
  SmallVector<Value> gParams = m(block.getGParams());

  Value x2, y1;
  SmallVector<Value> fSaved, gSaved;
  if (reversible) {
    y1 = primal(block.getY1());
    Value y2 = primal(block.getY2());
    auto fSavedTypes = d.f.forward.getResultTypes().drop_front();
    auto gSavedTypes = d.g.forward.getResultTypes().drop_front();
    auto rec = RecomputeOp::create(
        b, loc, y1.getType(), y2.getType(), fSavedTypes, gSavedTypes, y1, y2,
        fParams, gParams, d.f.forward.getSymName(), d.g.forward.getSymName());
    x2 = rec.getX2();
    fSaved.assign(rec.getFSaved().begin(), rec.getFSaved().end());
    gSaved.assign(rec.getGSaved().begin(), rec.getGSaved().end());
    // Everything upstream reads the rebuilt inputs, so the forward's copies
    // die as soon as the forward is done.
    recomputed.try_emplace(block.getX1(), rec.getX1());
    recomputed.try_emplace(block.getX2(), rec.getX2());
    if (checkReconstruction) {
      // The forward's inputs of this block stay alive until here.
      auto statsType = RankedTensorType::get({2}, b.getF64Type());
      auto error = [&](Value rebuilt, Value original) -> Value {
        return nn::MaxAbsErrorOp::create(b, loc, statsType, rebuilt,
                                         forwardMap.lookupOrDefault(original));
      };
      reconstructionErrors[block] = {error(rec.getX1(), block.getX1()),
                                     error(rec.getX2(), block.getX2())};
    }
  } else {
    const StoredInternals &s = stored[block];
    x2 = s.x2;
    y1 = s.y1;
    fSaved.assign(s.fSaved.begin(), s.fSaved.end());
    gSaved.assign(s.gSaved.begin(), s.gSaved.end());
  }
  auto grad = GradOp::create(
      b, loc, dy1.getType(), dy2.getType(), ValueRange(fParams).getTypes(),
      ValueRange(gParams).getTypes(), dy1, dy2, x2, y1, fParams, fSaved,
      gParams, gSaved, d.f.vjp.getSymName(), d.g.vjp.getSymName());
  adjoints.accumulate(b, loc, block.getX1(), grad.getDx1());
  adjoints.accumulate(b, loc, block.getX2(), grad.getDx2());
  for (auto [p, g] : llvm::zip(block.getFParams(), grad.getDfParams()))
    adjoints.accumulate(b, loc, p, g);
  for (auto [p, g] : llvm::zip(block.getGParams(), grad.getDgParams()))
    adjoints.accumulate(b, loc, p, g);
  return true;
}

/// Packs the per-block statistics into tensor<Nx4xf64>, -1 (never a
/// maximum of absolute values) for blocks the backward never rebuilt.
Value StepBuilder::emitReconstructionReport(Location loc) {
  Value missing = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(-1.0));
  SmallVector<Value> elements;
  for (BlockOp block : blocksInOrder) {
    auto it = reconstructionErrors.find(block);
    for (int which = 0; which < 2; ++which) {
      for (int64_t i = 0; i < 2; ++i) {
        if (it == reconstructionErrors.end()) {
          elements.push_back(missing);
          continue;
        }
        Value stats = which == 0 ? it->second.first : it->second.second;
        Value index = arith::ConstantIndexOp::create(b, loc, i);
        elements.push_back(tensor::ExtractOp::create(b, loc, stats, index));
      }
    }
  }
  auto type = RankedTensorType::get(
      {int64_t(blocksInOrder.size()), 4}, b.getF64Type());
  return tensor::FromElementsOp::create(b, loc, type, elements);
}

LogicalResult StepBuilder::build() {
  if (failed(checkLossFunction()) || failed(deriveCouplings()))
    return failure();
  std::string name = (loss.getSymName() + "_step").str();
  if (symbols.lookup(name))
    return loss.emitError("cannot build the training step: @")
           << name << " already exists";

  Block &body = loss.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value lossValue = ret.getOperand(0);
  SmallVector<Type> resultTypes{lossValue.getType()};
  SmallVector<Value> sources;
  for (unsigned i : gradArgs) {
    resultTypes.push_back(loss.getArgumentTypes()[i]);
    sources.push_back(body.getArgument(i));
  }
  if (checkReconstruction) {
    blocksInOrder = llvm::to_vector(body.getOps<BlockOp>());
    resultTypes.push_back(RankedTensorType::get(
        {int64_t(blocksInOrder.size()), 4}, b.getF64Type()));
  }
  b.setInsertionPointAfter(loss);
  step = func::FuncOp::create(
      b, loss.getLoc(), name,
      FunctionType::get(loss.getContext(), loss.getArgumentTypes(),
                        resultTypes));
  // A loss without argument attributes has none to copy (and a null list
  // is no list: found by pareprop-opt-fuzzer).
  if (ArrayAttr argAttrs = loss.getAllArgAttrs())
    step.setAllArgAttrs(argAttrs);
  step->setAttr(RevDialect::kTrainingStepAttr, b.getUnitAttr());
  step->setAttr(RevDialect::kModeAttr,
                b.getStringAttr(stringifyStepMode(
                    reversible ? StepMode::Reversible : StepMode::Stored)));
  step->setAttr(RevDialect::kGradArgsAttr,
                b.getDenseI64ArrayAttr(llvm::to_vector_of<int64_t>(gradArgs)));
  if (checkReconstruction)
    step->setAttr(RevDialect::kReconstructionReportAttr, b.getUnitAttr());
  // The step takes the loss's arguments: the loss's index check is its own.
  if (Attribute checks = loss->getAttr(RevDialect::kIndexChecksAttr))
    step->setAttr(RevDialect::kIndexChecksAttr, checks);
  symbols.insert(step);
  b.setInsertionPointToStart(step.addEntryBlock());

  emitForward();

  Location loc = ret.getLoc();
  auto seedType = cast<RankedTensorType>(lossValue.getType());
  Value seed = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(seedType,
                             b.getFloatAttr(seedType.getElementType(), 1.0)));
  adjoints.accumulate(b, loc, lossValue, seed);

  findTransitions();
  DenseSet<Operation *> active =
      computeActiveOps(body, sources, ret.getOperands());
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  auto custom = [&](Operation *op) -> FailureOr<bool> {
    if (auto block = dyn_cast<BlockOp>(op))
      return emitBlockBackward(block);
    return false;
  };
  if (failed(reverseSweep(b, ops, active, adjoints,
                          [&](Value v) { return primal(v); }, custom))) {
    step.erase();
    return failure();
  }

  SmallVector<Value> results{forwardMap.lookup(lossValue)};
  for (Value src : sources)
    results.push_back(adjoints.lookupOrZero(b, loc, src));
  if (checkReconstruction)
    results.push_back(emitReconstructionReport(loc));
  func::ReturnOp::create(b, loc, results);
  eraseDeadOps(step.getBody().front());
  return success();
}

struct BuildTrainingStepPass
    : rev::impl::RevBuildTrainingStepBase<BuildTrainingStepPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode == StepMode::None) {
      emitError(module.getLoc())
          << "rev-build-training-step: mode 'none' builds no training step; "
             "leave the pass out instead";
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> losses;
    if (!funcName.empty()) {
      auto fn = symbols.lookup<func::FuncOp>(funcName);
      if (!fn) {
        emitError(module.getLoc()) << "rev-build-training-step: no function named @"
                           << funcName;
        return signalPassFailure();
      }
      losses.push_back(fn);
    } else {
      for (auto fn : module.getOps<func::FuncOp>())
        if (fn.isPublic() && !fn->hasAttr(RevDialect::kTrainingStepAttr) &&
            fn.walk([](BlockOp) { return WalkResult::interrupt(); })
                .wasInterrupted())
          losses.push_back(fn);
      if (losses.empty()) {
        emitError(module.getLoc())
            << "rev-build-training-step: no public function holds a "
               "rev.block; name the loss function with func=<name>";
        return signalPassFailure();
      }
    }
    for (func::FuncOp fn : losses)
      if (failed(StepBuilder(fn, symbols, mode == StepMode::Reversible,
                             checkReconstruction,
                             transitions == TransitionMode::Checkpoint)
                     .build()))
        return signalPassFailure();
  }
};
} // namespace
