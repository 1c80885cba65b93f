//===- RevDialect.cpp - reversible blocks and schedules -------------------===//

#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace pareprop;
using namespace pareprop::rev;

#include "pareprop/Dialect/Rev/IR/RevDialect.cpp.inc"
#include "pareprop/Dialect/Rev/IR/RevEnums.cpp.inc"

/// (`kind` string)?: a task's kind, written as a string because some kinds
/// (`param-grad`) are not bare identifiers.
static ParseResult parseTaskKind(OpAsmParser &parser, TaskKindAttr &kind) {
  if (failed(parser.parseOptionalKeyword("kind")))
    return success();
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  if (parser.parseString(&name))
    return failure();
  std::optional<TaskKind> value = symbolizeTaskKind(name);
  if (!value) {
    return parser.emitError(loc)
           << "unknown task kind '" << name << "' (expected "
           << enumNames<TaskKind>(getMaxEnumValForTaskKind()) << ")";
  }
  kind = TaskKindAttr::get(parser.getContext(), *value);
  return success();
}

static void printTaskKind(OpAsmPrinter &printer, Operation *,
                          TaskKindAttr kind) {
  if (kind)
    printer << "kind \"" << stringifyTaskKind(kind.getValue()) << "\"";
}

/// `(` type-list? `)`: a possibly empty list of types.
static ParseResult parseParenTypeList(OpAsmParser &parser,
                                      SmallVectorImpl<Type> &types) {
  if (parser.parseLParen())
    return failure();
  if (succeeded(parser.parseOptionalRParen()))
    return success();
  if (parser.parseTypeList(types) || parser.parseRParen())
    return failure();
  return success();
}

static void printParenTypeList(OpAsmPrinter &printer, Operation *,
                               TypeRange types) {
  printer << "(" << types << ")";
}

#define GET_TYPEDEF_CLASSES
#include "pareprop/Dialect/Rev/IR/RevTypes.cpp.inc"

void RevDialect::initialize() {
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "pareprop/Dialect/Rev/IR/RevOps.cpp.inc"
      >();
}

void RevDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "pareprop/Dialect/Rev/IR/RevTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Discardable attributes.
//===----------------------------------------------------------------------===//

/// rev.index_checks on a function: the contract between rev-add-index-checks
/// and the runners that call the check before a step.
static LogicalResult verifyIndexChecks(Operation *op, Attribute value) {
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn)
    return op->emitError() << RevDialect::kIndexChecksAttr
                           << " belongs on a function";
  auto dict = dyn_cast<DictionaryAttr>(value);
  auto func = dict ? dict.getAs<FlatSymbolRefAttr>("func") : nullptr;
  auto checks = dict ? dict.getAs<ArrayAttr>("checks") : nullptr;
  if (!func || !checks || dict.size() != 2)
    return op->emitError()
           << RevDialect::kIndexChecksAttr
           << " must be {func = @symbol, checks = [...]}, got " << value;
  if (checks.empty())
    return op->emitError() << RevDialect::kIndexChecksAttr
                           << " lists no checks";
  ArrayRef<Type> argTypes = fn.getArgumentTypes();
  // Arguments are checked while they are tensors or buffers (func.func);
  // once lowered to LLVM a memref argument is several, and the runner has
  // read the attribute from the func.func by then.
  bool typedArguments = isa<func::FuncOp>(op);
  for (auto [k, entry] : llvm::enumerate(checks)) {
    auto check = dyn_cast<DictionaryAttr>(entry);
    auto arg = check ? check.getAs<IntegerAttr>("arg") : nullptr;
    auto bound = check ? check.getAs<IntegerAttr>("bound") : nullptr;
    auto what = check ? check.getAs<StringAttr>("what") : nullptr;
    Attribute ignore = check ? check.get("ignore_index") : nullptr;
    size_t expected = 3 + (ignore ? 1 : 0);
    if (!arg || !bound || !what || check.size() != expected ||
        (ignore && !isa<IntegerAttr>(ignore)))
      return op->emitError()
             << RevDialect::kIndexChecksAttr << " check " << k
             << " must be {arg = i64, bound = i64, ignore_index = i64 "
                "(optional), what = string}, got "
             << entry;
    int64_t a = arg.getInt();
    if (a < 0 || (typedArguments && a >= int64_t(argTypes.size())))
      return op->emitError() << RevDialect::kIndexChecksAttr << " check " << k
                             << " names argument " << a << " of a function "
                             << "with " << argTypes.size() << " arguments";
    auto type =
        typedArguments ? dyn_cast<ShapedType>(argTypes[a]) : ShapedType();
    if (typedArguments &&
        (!type || !type.hasStaticShape() ||
         !type.getElementType().isInteger(64)))
      return op->emitError() << RevDialect::kIndexChecksAttr << " check " << k
                             << ": argument " << a << " has type "
                             << argTypes[a]
                             << "; indices are static tensors of i64";
    if (bound.getInt() < 1)
      return op->emitError() << RevDialect::kIndexChecksAttr << " check " << k
                             << ": bound must be positive, got "
                             << bound.getInt();
  }
  return success();
}

/// rev.work on an op of an unscheduled step: {kind = "<task kind>",
/// block = N?, segment = N?, half = "f"|"g"?}, the work unit that
/// op-granularity scheduling groups the op into.
static LogicalResult verifyWorkTag(Operation *op, Attribute value) {
  auto fail = [&](const Twine &why) {
    return op->emitError() << RevDialect::kWorkAttr << " " << why << ", got "
                           << value;
  };
  auto dict = dyn_cast<DictionaryAttr>(value);
  if (!dict)
    return fail("must be a dictionary {kind = \"...\", block = N, ...}");
  auto kind = dict.getAs<StringAttr>("kind");
  if (!kind)
    return fail("needs a string 'kind'");
  if (!symbolizeTaskKind(kind.getValue()))
    return fail("has unknown kind '" + kind.getValue() + "' (expected " +
                enumNames<TaskKind>(getMaxEnumValForTaskKind()) + ")");
  for (NamedAttribute entry : dict) {
    StringRef key = entry.getName().getValue();
    if (key == "kind")
      continue;
    if (key == "block" || key == "segment") {
      auto index = dyn_cast<IntegerAttr>(entry.getValue());
      if (!index || index.getInt() < 0)
        return fail("'" + key + "' must be a non-negative integer");
      continue;
    }
    if (key == "half") {
      auto half = dyn_cast<StringAttr>(entry.getValue());
      if (!half || (half.getValue() != "f" && half.getValue() != "g"))
        return fail("'half' must be \"f\" or \"g\"");
      continue;
    }
    return fail("has unknown key '" + key +
                "' (expected kind, block, segment, half)");
  }
  return success();
}

/// Attributes that only make sense on a function.
static LogicalResult expectFunction(Operation *op, StringRef name) {
  if (isa<FunctionOpInterface>(op))
    return success();
  return op->emitError() << name << " belongs on a function";
}

/// An array of argument indices, strictly increasing: of `op` (a function)
/// itself when `ownArguments`.
static LogicalResult verifyArgumentList(Operation *op, NamedAttribute attr,
                                        bool ownArguments) {
  if (failed(expectFunction(op, attr.getName().getValue())))
    return failure();
  auto list = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
  if (!list)
    return op->emitError() << attr.getName().getValue()
                           << " must be an array<i64> of argument indices, got "
                           << attr.getValue();
  // Only a func.func still has one argument per tensor (see the index
  // checks above).
  int64_t numArgs = ownArguments && isa<func::FuncOp>(op)
                        ? cast<FunctionOpInterface>(op).getNumArguments()
                        : std::numeric_limits<int64_t>::max();
  int64_t previous = -1;
  for (int64_t index : list.asArrayRef()) {
    if (index <= previous || index >= numArgs)
      return op->emitError()
             << attr.getName().getValue()
             << " must list argument indices in increasing order"
             << (numArgs == std::numeric_limits<int64_t>::max()
                     ? std::string()
                     : " below " + std::to_string(numArgs))
             << ", got " << attr.getValue();
    previous = index;
  }
  return success();
}

LogicalResult RevDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  if (name == kIndexChecksAttr)
    return verifyIndexChecks(op, value);
  if (name == kWorkAttr)
    return verifyWorkTag(op, value);
  // grad_args index the step's own arguments; split_args those of the VJP
  // the function was split from.
  if (name == kGradArgsAttr || name == kSplitArgsAttr)
    return verifyArgumentList(op, attr, /*ownArguments=*/name == kGradArgsAttr);
  if (name == kTrainingStepAttr || name == kReconstructionReportAttr) {
    if (!isa<UnitAttr>(value))
      return op->emitError() << name << " is a unit attribute, got " << value;
    return expectFunction(op, name);
  }
  if (name == kDerivedFromAttr) {
    if (!isa<FlatSymbolRefAttr>(value))
      return op->emitError()
             << name << " must name the function it was derived from, got "
             << value;
    return expectFunction(op, name);
  }
  if (name == kModeAttr) {
    auto mode = dyn_cast<StringAttr>(value);
    std::optional<StepMode> parsed =
        mode ? symbolizeStepMode(mode.getValue()) : std::nullopt;
    if (!parsed || *parsed == StepMode::None)
      return op->emitError()
             << name << " must be \"reversible\" or \"stored\", got " << value;
    return expectFunction(op, name);
  }
  if (name == kPolicyAttr) {
    // The policy that ran, with its parameters: "pareprop(lookahead=2)".
    auto policy = dyn_cast<StringAttr>(value);
    std::optional<SchedulePolicyKind> parsed =
        policy ? symbolizeSchedulePolicyKind(policy.getValue().take_until(
                     [](char c) { return c == '('; }))
               : std::nullopt;
    if (!parsed || *parsed == SchedulePolicyKind::Auto)
      return op->emitError()
             << name << " must name the policy that scheduled the step ("
             << "vanilla, pareprop or list, with its parameters), got "
             << value;
    return expectFunction(op, name);
  }
  if (name == kPredictedSecondsAttr || name == kPredictedPeakAttr) {
    auto number = dyn_cast<FloatAttr>(value);
    auto bytes = dyn_cast<IntegerAttr>(value);
    bool seconds = name == kPredictedSecondsAttr;
    if (seconds ? !number || number.getValueAsDouble() < 0
                : !bytes || bytes.getInt() < 0)
      return op->emitError()
             << name << " must be a non-negative "
             << (seconds ? "float" : "integer") << ", got " << value;
    return expectFunction(op, name);
  }
  return success();
}

LogicalResult RevDialect::verifyRegionArgAttribute(Operation *op,
                                                   unsigned regionIndex,
                                                   unsigned argIndex,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kNoGradAttr && !isa<UnitAttr>(attr.getValue()))
    return op->emitError() << name << " on argument " << argIndex
                           << " is a unit attribute, got " << attr.getValue();
  if (name != kIndexBoundAttr)
    return success();
  auto bound = dyn_cast<IntegerAttr>(attr.getValue());
  if (!bound || bound.getInt() <= 0)
    return op->emitError() << name << " on argument " << argIndex
                           << " must be a positive integer, got "
                           << attr.getValue();
  if (op->getNumRegions() <= regionIndex || op->getRegion(regionIndex).empty())
    return success();
  Type type = op->getRegion(regionIndex).getArgument(argIndex).getType();
  // Tensors and buffers must hold integers; lowered forms (LLVM pointers)
  // are not checked.
  if (auto shaped = dyn_cast<ShapedType>(type);
      shaped && !shaped.getElementType().isInteger())
    return op->emitError() << name << " on argument " << argIndex
                           << " needs integer elements, got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Symbol checks shared by the coupling ops.
//===----------------------------------------------------------------------===//

namespace {
/// Looks up `ref` as a func.func; emits an error naming `role` otherwise.
func::FuncOp lookupFunction(Operation *op, SymbolTableCollection &symbols,
                            FlatSymbolRefAttr ref, StringRef role) {
  Operation *target = symbols.lookupNearestSymbolFrom(op, ref);
  if (!target) {
    op->emitOpError() << role << " refers to unknown function " << ref;
    return {};
  }
  auto fn = dyn_cast<func::FuncOp>(target);
  if (!fn)
    op->emitOpError() << role << " " << ref << " is not a func.func";
  return fn;
}

/// Checks `fn`'s signature against the expected inputs and results.
/// `expectedResults` is a prefix when `extraResults` is set (saved internals).
LogicalResult checkSignature(Operation *op, func::FuncOp fn, StringRef role,
                             TypeRange inputs, TypeRange results,
                             bool extraResults = false) {
  FunctionType type = fn.getFunctionType();
  auto describe = [&](InFlightDiagnostic diag) -> LogicalResult {
    diag << role << " @" << fn.getSymName() << " has type " << type;
    diag.attachNote(fn.getLoc()) << "function defined here";
    return diag;
  };
  if (type.getNumInputs() != inputs.size())
    return describe(op->emitOpError()
                    << "passes " << inputs.size() << " operands (tensor and "
                    << inputs.size() - 1 << " parameters) but ");
  for (auto [i, pair] : llvm::enumerate(llvm::zip(type.getInputs(), inputs)))
    if (std::get<0>(pair) != std::get<1>(pair))
      return describe(op->emitOpError()
                      << "operand " << i << " of " << role << " has type "
                      << std::get<1>(pair) << " but ");
  if (extraResults ? type.getNumResults() < results.size()
                   : type.getNumResults() != results.size())
    return describe(op->emitOpError() << "expects " << results.size()
                                      << (extraResults ? " or more" : "")
                                      << " results but ");
  for (auto [i, pair] : llvm::enumerate(llvm::zip(type.getResults(), results)))
    if (std::get<0>(pair) != std::get<1>(pair))
      return describe(op->emitOpError()
                      << "expects result " << i << " of type "
                      << std::get<1>(pair) << " but ");
  return success();
}

SmallVector<Type> concatTypes(std::initializer_list<TypeRange> ranges) {
  SmallVector<Type> out;
  for (TypeRange r : ranges)
    out.append(r.begin(), r.end());
  return out;
}
} // namespace

LogicalResult BlockOp::verifySymbolUses(SymbolTableCollection &symbols) {
  func::FuncOp f = lookupFunction(*this, symbols, getFAttr(), "'f'");
  func::FuncOp g = lookupFunction(*this, symbols, getGAttr(), "'g'");
  if (!f || !g)
    return failure();
  Type t1 = getX1().getType(), t2 = getX2().getType();
  if (failed(checkSignature(*this, f, "F",
                            concatTypes({t2, getFParams().getTypes()}), {t1})))
    return failure();
  return checkSignature(*this, g, "G",
                        concatTypes({t1, getGParams().getTypes()}), {t2});
}

LogicalResult RecomputeOp::verifySymbolUses(SymbolTableCollection &symbols) {
  func::FuncOp f = lookupFunction(*this, symbols, getFFwdAttr(), "'f'");
  func::FuncOp g = lookupFunction(*this, symbols, getGFwdAttr(), "'g'");
  if (!f || !g)
    return failure();
  Type t1 = getY1().getType(), t2 = getY2().getType();
  if (failed(checkSignature(
          *this, f, "saving forward of F",
          concatTypes({t2, getFParams().getTypes()}),
          concatTypes({t1, getFSaved().getTypes()}))))
    return failure();
  return checkSignature(*this, g, "saving forward of G",
                        concatTypes({t1, getGParams().getTypes()}),
                        concatTypes({t2, getGSaved().getTypes()}));
}

LogicalResult GradOp::verifySymbolUses(SymbolTableCollection &symbols) {
  func::FuncOp f = lookupFunction(*this, symbols, getFVjpAttr(), "'f'");
  func::FuncOp g = lookupFunction(*this, symbols, getGVjpAttr(), "'g'");
  if (!f || !g)
    return failure();
  Type t1 = getY1().getType(), t2 = getX2().getType();
  if (failed(checkSignature(*this, f, "gradient of F",
                            concatTypes({t2, getFParams().getTypes(),
                                         getFSaved().getTypes(), t1}),
                            concatTypes({t2, getFParams().getTypes()}))))
    return failure();
  return checkSignature(
      *this, g, "gradient of G",
      concatTypes({t1, getGParams().getTypes(), getGSaved().getTypes(), t2}),
      concatTypes({t1, getGParams().getTypes()}));
}

LogicalResult GradOp::verify() {
  if (getDfParams().getTypes() != getFParams().getTypes() ||
      getDgParams().getTypes() != getGParams().getTypes())
    return emitOpError("parameter gradients must have the parameters' types");
  return success();
}

//===----------------------------------------------------------------------===//
// Tasks
//===----------------------------------------------------------------------===//

void TaskOp::build(OpBuilder &b, OperationState &state, int64_t stream,
                   ValueRange after, TypeRange resultTypes) {
  state.getOrAddProperties<Properties>().stream = b.getI64IntegerAttr(stream);
  state.addOperands(after);
  state.addTypes(TokenType::get(b.getContext()));
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  body->push_back(new Block);
}

YieldOp TaskOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

/// Vector clocks: clock[t] is how many tasks of stream t are known finished
/// when a task starts (from its stream predecessor and its `after` tokens,
/// transitively), and awaited[t] the same for code outside tasks after the
/// `rev.await`s seen so far.
LogicalResult pareprop::rev::verifyTaskOrder(Block &block) {
  unsigned numStreams = 0;
  for (TaskOp t : block.getOps<TaskOp>())
    numStreams = std::max<unsigned>(numStreams, t.getStream() + 1);
  struct Info {
    unsigned stream, pos;
    SmallVector<unsigned, 4> clock;
  };
  DenseMap<Operation *, Info> info;
  SmallVector<int64_t> lastPos(numStreams, -1);
  SmallVector<Operation *> lastTask(numStreams, nullptr);
  SmallVector<unsigned, 4> awaited(numStreams, 0);
  auto orderedBefore = [&](ArrayRef<unsigned> clock, Operation *producer) {
    const Info &p = info.find(producer)->second;
    return clock[p.stream] > p.pos;
  };
  auto merge = [&](SmallVectorImpl<unsigned> &into, Operation *task) {
    const Info &p = info.find(task)->second;
    for (unsigned s = 0; s < numStreams; ++s)
      into[s] = std::max(into[s], p.clock[s]);
    into[p.stream] = std::max(into[p.stream], p.pos + 1);
  };
  for (Operation &op : block) {
    if (auto task = dyn_cast<TaskOp>(op)) {
      unsigned stream = task.getStream();
      Info self{stream, unsigned(lastPos[stream] + 1),
                SmallVector<unsigned, 4>(numStreams, 0)};
      if (Operation *prev = lastTask[stream])
        merge(self.clock, prev);
      for (Value tok : task.getAfter())
        if (auto producer = tok.getDefiningOp<TaskOp>();
            producer && info.count(producer))
          merge(self.clock, producer);
      WalkResult walk = task.getBody().walk([&](Operation *inner) {
        for (Value v : inner->getOperands()) {
          auto producer = v.getDefiningOp<TaskOp>();
          if (!producer || producer == task || !info.count(producer) ||
              orderedBefore(self.clock, producer))
            continue;
          InFlightDiagnostic diag =
              task.emitOpError("on stream ")
              << stream << " uses a result of a task on stream "
              << producer.getStream()
              << " that is not ordered before it (add its token to 'after')";
          diag.attachNote(producer.getLoc()) << "producer task";
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return failure();
      lastPos[stream] = self.pos;
      lastTask[stream] = task;
      info[task] = std::move(self);
      continue;
    }
    if (auto await = dyn_cast<AwaitOp>(op))
      for (Value tok : await.getTokens())
        if (auto producer = tok.getDefiningOp<TaskOp>();
            producer && info.count(producer))
          merge(awaited, producer);
    // Code outside tasks must await a task before using its results.
    WalkResult walk = op.walk([&](Operation *inner) {
      for (Value v : inner->getOperands()) {
        auto producer = v.getDefiningOp<TaskOp>();
        if (!producer || producer->getBlock() != &block ||
            !info.count(producer) || orderedBefore(awaited, producer))
          continue;
        InFlightDiagnostic diag =
            inner->emitOpError("uses the result of a rev.task that it does "
                               "not await (add a rev.await of its token)");
        diag.attachNote(producer.getLoc()) << "task";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      for (unsigned s = 0; s < numStreams; ++s)
        if (lastTask[s] && awaited[s] <= info.find(lastTask[s])->second.pos) {
          InFlightDiagnostic diag = lastTask[s]->emitOpError(
              "is not awaited before the block ends (add a rev.await of the "
              "last task of stream ")
              << s << ")";
          diag.attachNote(op.getLoc()) << "block ends here";
          return diag;
        }
    }
  }
  return success();
}

LogicalResult TaskOp::verify() {
  for (Value tok : getAfter())
    if (!tok.getDefiningOp<TaskOp>() ||
        tok.getDefiningOp()->getBlock() != (*this)->getBlock())
      return emitOpError("'after' tokens must come from rev.task ops in the "
                         "same block");
  for (Value result : getResults())
    for (Operation *user : result.getUsers())
      if (!user->getParentOfType<TaskOp>() &&
          !(*this)->getBlock()->findAncestorOpInBlock(*user))
        return user->emitOpError("uses a task result outside the task's block");
  // The whole block's ordering is checked once, from its first task, so
  // verification stays linear however many tasks there are.
  Block *parent = (*this)->getBlock();
  if ((*this)->getParentOfType<TaskOp>())
    return success(); // Nested tasks are the enclosing task's error.
  auto tasks = parent->getOps<TaskOp>();
  if (*tasks.begin() != *this)
    return success();
  return verifyTaskOrder(*parent);
}

LogicalResult TaskOp::verifyRegions() {
  TypeRange yielded = getYield().getValues().getTypes();
  if (yielded != getResults().getTypes())
    return emitOpError("yields ")
           << yielded.size() << " values whose types do not match its "
           << getResults().size() << " results";
  // Results are made by the task. The same value may be yielded twice (CSE
  // merges identical ops inside a task); convert-rev-to-async merges such
  // results so that each buffer has one owner.
  for (Value v : getYield().getValues())
    if (!getBody().isAncestor(v.getParentRegion()))
      return emitOpError("yields a value defined outside the task; use it "
                         "directly instead");
  WalkResult nested = getBody().walk([&](TaskOp) {
    return WalkResult::interrupt();
  });
  if (nested.wasInterrupted())
    return emitOpError("must not contain other rev.task ops");
  return success();
}

#define GET_OP_CLASSES
#include "pareprop/Dialect/Rev/IR/RevOps.cpp.inc"
