//===- AddIndexChecks.cpp - check index arguments before a step -----------===//
//
// rev-add-index-checks: finds the arguments of public functions that are
// used as embedding ids or class labels and adds a function that checks
// them, so runners can refuse a bad index before the step reads anything
// (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/Rev/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"

#include <limits>

namespace pareprop::rev {
#define GEN_PASS_DEF_REVADDINDEXCHECKS
#include "pareprop/Dialect/Rev/Transforms/Passes.h.inc"
} // namespace pareprop::rev

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

namespace {

/// One argument of a function used as indices into `bound` rows or classes.
struct IndexUse {
  unsigned arg;
  int64_t bound;
  std::optional<int64_t> ignoreIndex;
  std::string what;

  bool operator==(const IndexUse &o) const {
    return arg == o.arg && bound == o.bound && ignoreIndex == o.ignoreIndex;
  }
};

/// "ids of nn.embedding at model.mlir:3:8": the source line when the
/// location has one, else the location as printed.
std::string describe(Operation *op, StringRef operand) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << operand << " of " << op->getName() << " at ";
  FileLineColLoc file;
  op->getLoc()->walk([&](Location l) {
    file = dyn_cast<FileLineColLoc>(l);
    return file ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (file)
    os << file.getFilename().getValue() << ":" << file.getLine() << ":"
       << file.getColumn();
  else
    os << op->getLoc();
  return s;
}

/// The argument of `fn` that `v` is, if any, also through reshapes (labels
/// flattened with their logits): they keep every value.
std::optional<unsigned> argumentOf(Value v, func::FuncOp fn) {
  while (auto reshape = v.getDefiningOp<nn::ReshapeOp>())
    v = reshape.getInput();
  auto arg = dyn_cast<BlockArgument>(v);
  if (arg && arg.getOwner() == &fn.getBody().front())
    return arg.getArgNumber();
  return std::nullopt;
}

class IndexUseFinder {
public:
  explicit IndexUseFinder(SymbolTable &symbols) : symbols(symbols) {}

  /// The arguments of `fn` used as indices, in the order of their uses.
  SmallVector<IndexUse> usesOf(func::FuncOp fn) {
    auto it = cache.find(fn);
    if (it != cache.end())
      return it->second;
    // Calls form a DAG in the models this project compiles; an entry made
    // before recursing keeps a cycle from looping.
    cache[fn] = {};
    SmallVector<IndexUse> uses;
    auto add = [&](IndexUse use) {
      // An empty argument has nothing to check.
      auto type = cast<RankedTensorType>(fn.getArgumentTypes()[use.arg]);
      if (type.getNumElements() > 0 && !llvm::is_contained(uses, use))
        uses.push_back(std::move(use));
    };
    // The uses of `callee`'s arguments, seen as uses of `operands` (a null
    // operand is no argument of `fn`).
    auto addCallee = [&](StringRef name, ValueRange operands) {
      auto callee = symbols.lookup<func::FuncOp>(name);
      if (!callee || callee.isExternal())
        return;
      for (const IndexUse &inner : usesOf(callee)) {
        Value operand = inner.arg < operands.size() ? operands[inner.arg]
                                                    : Value();
        if (!operand)
          continue;
        if (auto arg = argumentOf(operand, fn))
          add({*arg, inner.bound, inner.ignoreIndex, inner.what});
      }
    };
    fn.walk([&](Operation *op) {
      if (auto embedding = dyn_cast<nn::EmbeddingOp>(op)) {
        if (auto arg = argumentOf(embedding.getIds(), fn))
          add({*arg, embedding.getTable().getType().getDimSize(0),
               std::nullopt, describe(op, "ids")});
      } else if (auto loss = dyn_cast<nn::CrossEntropyOp>(op)) {
        if (auto arg = argumentOf(loss.getLabels(), fn))
          add({*arg, loss.getLogits().getType().getDimSize(1),
               loss.getIgnoreIndex(), describe(op, "labels")});
      } else if (auto call = dyn_cast<func::CallOp>(op)) {
        addCallee(call.getCallee(), call.getOperands());
      } else if (auto block = dyn_cast<BlockOp>(op)) {
        // F(x2, f params...) and G(y1, g params...).
        SmallVector<Value> fArgs{block.getX2()}, gArgs{Value()};
        llvm::append_range(fArgs, block.getFParams());
        llvm::append_range(gArgs, block.getGParams());
        addCallee(block.getF(), fArgs);
        addCallee(block.getG(), gArgs);
      }
    });
    cache[fn] = uses;
    return uses;
  }

private:
  SymbolTable &symbols;
  DenseMap<Operation *, SmallVector<IndexUse>> cache;
};

/// The ignore_index field of a check that has none.
constexpr int64_t kNoIgnoreIndex = std::numeric_limits<int64_t>::min();

/// Builds `@name(<fn's arguments>) -> tensor<6xi64>` returning
/// [check, argument, position, value, bound, ignore_index] of the first
/// out-of-range index, or -1 in every field.
func::FuncOp buildCheckFunction(OpBuilder &b, func::FuncOp fn, StringRef name,
                                ArrayRef<IndexUse> uses) {
  Location loc = fn.getLoc();
  Type i64 = b.getI64Type();
  auto resultType = RankedTensorType::get({6}, i64);
  auto check = func::FuncOp::create(
      b, loc, name,
      b.getFunctionType(fn.getArgumentTypes(), {resultType}));
  Block *body = check.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(body);
  auto c64 = [&](OpBuilder &ib, int64_t v) -> Value {
    return arith::ConstantIntOp::create(ib, loc, v, 64);
  };
  Value none = c64(b, -1);
  // The found check's fields; `found` is -1 until an index fails.
  SmallVector<Value> state(6, none);
  for (size_t k = 0; k < uses.size(); ++k) {
    const IndexUse &use = uses[k];
    Value ids = body->getArgument(use.arg);
    auto type = cast<RankedTensorType>(ids.getType());
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d : type.getShape()) {
      lbs.push_back(arith::ConstantIndexOp::create(b, loc, 0));
      ubs.push_back(arith::ConstantIndexOp::create(b, loc, d));
      steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
    }
    int64_t bound = use.bound;
    std::optional<int64_t> ignore = use.ignoreIndex;
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, state,
        [&](OpBuilder &lb, Location l, ValueRange ivs,
            ValueRange acc) -> scf::ValueVector {
          Value x = tensor::ExtractOp::create(lb, l, ids, ivs);
          Value bad = arith::OrIOp::create(
              lb, l,
              arith::CmpIOp::create(lb, l, arith::CmpIPredicate::slt, x,
                                    c64(lb, 0)),
              arith::CmpIOp::create(lb, l, arith::CmpIPredicate::sge, x,
                                    c64(lb, bound)));
          if (ignore)
            bad = arith::AndIOp::create(
                lb, l, bad,
                arith::CmpIOp::create(lb, l, arith::CmpIPredicate::ne, x,
                                      c64(lb, *ignore)));
          Value first = arith::AndIOp::create(
              lb, l, bad,
              arith::CmpIOp::create(lb, l, arith::CmpIPredicate::eq, acc[0],
                                    c64(lb, -1)));
          // Row-major element number.
          Value linear = arith::ConstantIndexOp::create(lb, l, 0);
          for (auto [d, iv] : llvm::enumerate(ivs)) {
            linear = arith::MulIOp::create(
                lb, l, linear,
                arith::ConstantIndexOp::create(lb, l, type.getDimSize(d)));
            linear = arith::AddIOp::create(lb, l, linear, iv);
          }
          Value position = arith::IndexCastOp::create(lb, l, i64, linear);
          Value fields[6] = {c64(lb, int64_t(k)), c64(lb, use.arg), position,
                             x, c64(lb, bound),
                             c64(lb, ignore ? *ignore : kNoIgnoreIndex)};
          scf::ValueVector next;
          for (int f = 0; f < 6; ++f)
            next.push_back(
                arith::SelectOp::create(lb, l, first, fields[f], acc[f]));
          return next;
        });
    if (!nest.results.empty())
      state.assign(nest.results.begin(), nest.results.end());
  }
  Value result = tensor::FromElementsOp::create(b, loc, resultType, state);
  func::ReturnOp::create(b, loc, result);
  return check;
}

struct RevAddIndexChecksPass
    : pareprop::rev::impl::RevAddIndexChecksBase<RevAddIndexChecksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    IndexUseFinder finder(symbols);
    OpBuilder b(module.getContext());
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (!fn.isPublic() || fn.isExternal() ||
          fn->hasAttr(RevDialect::kIndexChecksAttr))
        continue;
      SmallVector<IndexUse> uses = finder.usesOf(fn);
      if (uses.empty())
        continue;
      std::string name = (fn.getSymName() + "_check_indices").str();
      if (symbols.lookup(name)) {
        fn.emitError("rev-add-index-checks: cannot add @")
            << name << " (a symbol of that name exists)";
        return signalPassFailure();
      }
      b.setInsertionPointAfter(fn);
      func::FuncOp check = buildCheckFunction(b, fn, name, uses);
      symbols.insert(check);
      SmallVector<Attribute> entries;
      for (const IndexUse &use : uses) {
        SmallVector<NamedAttribute> fields{
            b.getNamedAttr("arg", b.getI64IntegerAttr(use.arg)),
            b.getNamedAttr("bound", b.getI64IntegerAttr(use.bound)),
            b.getNamedAttr("what", b.getStringAttr(use.what))};
        if (use.ignoreIndex)
          fields.push_back(b.getNamedAttr(
              "ignore_index", b.getI64IntegerAttr(*use.ignoreIndex)));
        entries.push_back(b.getDictionaryAttr(fields));
      }
      fn->setAttr(RevDialect::kIndexChecksAttr,
                  b.getDictionaryAttr(
                      {b.getNamedAttr("func", FlatSymbolRefAttr::get(check)),
                       b.getNamedAttr("checks", b.getArrayAttr(entries))}));
    }
  }
};

} // namespace
