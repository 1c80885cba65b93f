//===- NNOps.cpp - differentiable tensor ops ------------------------------===//
//
// Verifiers, result type inference and reverse-mode gradient rules.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace pareprop;
using namespace pareprop::nn;

#include "pareprop/Dialect/NN/IR/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "pareprop/Dialect/NN/IR/NNOps.cpp.inc"
      >();
}

FailureOr<SmallVector<int64_t>> nn::broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return failure();
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

static LogicalResult requireStatic(std::optional<Location> loc,
                                   RankedTensorType type) {
  if (!type.hasStaticShape())
    return emitOptionalError(loc, "dynamic shapes are not supported yet: ",
                             type);
  return success();
}

//===----------------------------------------------------------------------===//
// Type inference
//===----------------------------------------------------------------------===//

static LogicalResult inferBinary(std::optional<Location> loc,
                                 ValueRange operands,
                                 SmallVectorImpl<Type> &inferred) {
  auto lhs = cast<RankedTensorType>(operands[0].getType());
  auto rhs = cast<RankedTensorType>(operands[1].getType());
  if (failed(requireStatic(loc, lhs)) || failed(requireStatic(loc, rhs)))
    return failure();
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "operand element types differ: ", lhs,
                             " vs ", rhs);
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return emitOptionalError(loc, "operand shapes do not broadcast: ", lhs,
                             " vs ", rhs);
  inferred.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

#define NN_BINARY_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferBinary(loc, operands, inferred);                               \
  }
NN_BINARY_INFER(AddOp)
NN_BINARY_INFER(SubOp)
NN_BINARY_INFER(MulOp)
#undef NN_BINARY_INFER

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attrs,
                                         OpaqueProperties props,
                                         RegionRange regions,
                                         SmallVectorImpl<Type> &inferred) {
  // While parsing, the flags are still in the attribute dictionary; once the
  // op exists they live in its properties.
  const Properties *p = props.as<Properties *>();
  auto lhs = cast<RankedTensorType>(operands[0].getType());
  auto rhs = cast<RankedTensorType>(operands[1].getType());
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOptionalError(loc, "expects rank-2 operands, got ", lhs,
                             " and ", rhs);
  if (failed(requireStatic(loc, lhs)) || failed(requireStatic(loc, rhs)))
    return failure();
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  bool tl = (attrs && attrs.get("transpose_lhs")) || (p && p->transpose_lhs);
  bool tr = (attrs && attrs.get("transpose_rhs")) || (p && p->transpose_rhs);
  int64_t m = lhs.getDimSize(tl ? 1 : 0), kl = lhs.getDimSize(tl ? 0 : 1);
  int64_t kr = rhs.getDimSize(tr ? 1 : 0), n = rhs.getDimSize(tr ? 0 : 1);
  if (kl != kr)
    return emitOptionalError(loc, "contracting dimensions differ: ", kl,
                             " vs ", kr);
  inferred.push_back(RankedTensorType::get({m, n}, lhs.getElementType()));
  return success();
}

static LogicalResult verifyDims(std::optional<Location> loc,
                                ArrayRef<int64_t> dims, int64_t rank) {
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0 || dims[i] >= rank)
      return emitOptionalError(loc, "dimension ", dims[i],
                               " is out of range for rank ", rank);
    if (i > 0 && dims[i] <= dims[i - 1])
      return emitOptionalError(loc,
                               "dimensions must be sorted and unique");
  }
  return success();
}

static LogicalResult inferReduce(std::optional<Location> loc,
                                 ValueRange operands, ArrayRef<int64_t> dims,
                                 SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(operands[0].getType());
  if (failed(requireStatic(loc, in)) ||
      failed(verifyDims(loc, dims, in.getRank())))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (!llvm::is_contained(dims, d))
      shape.push_back(in.getDimSize(d));
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

#define NN_REDUCE_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,       \
      SmallVectorImpl<Type> &inferred) {                                       \
    const Properties *p = props.as<Properties *>();                            \
    auto dims = p ? p->dims : DenseI64ArrayAttr();                             \
    if (!dims && attrs)                                                        \
      dims = attrs.getAs<DenseI64ArrayAttr>("dims");                           \
    if (!dims)                                                                 \
      return emitOptionalError(loc, "missing 'dims'");                         \
    return inferReduce(loc, operands, dims.asArrayRef(), inferred);            \
  }
NN_REDUCE_INFER(SumOp)
NN_REDUCE_INFER(MeanOp)
#undef NN_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

static LogicalResult verifyApproximate(Operation *op, StringRef approximate) {
  if (approximate != "none" && approximate != "tanh")
    return op->emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << approximate << "\"";
  return success();
}

LogicalResult GeluOp::verify() {
  return verifyApproximate(*this, getApproximate());
}
LogicalResult GeluGradOp::verify() {
  return verifyApproximate(*this, getApproximate());
}

LogicalResult BroadcastOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  if (failed(verifyDims(getLoc(), getDims(), out.getRank())))
    return failure();
  if (out.getRank() != in.getRank() + (int64_t)getDims().size())
    return emitOpError("result rank must be the input rank plus the number "
                       "of broadcast dimensions");
  int64_t i = 0;
  for (int64_t d = 0; d < out.getRank(); ++d) {
    if (llvm::is_contained(getDims(), d))
      continue;
    if (out.getDimSize(d) != in.getDimSize(i++))
      return emitOpError("result dimension ")
             << d << " does not match the input dimension it keeps";
  }
  return success();
}

LogicalResult ReduceToOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  auto shape = broadcastShapes(in.getShape(), out.getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != in.getShape())
    return emitOpError("result type ")
           << out << " does not broadcast to the input type " << in;
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient rules
//===----------------------------------------------------------------------===//

namespace {
/// Sums `grad` down to `type` when broadcasting widened it.
Value unbroadcast(OpBuilder &b, Location loc, Value grad, Type type) {
  if (!grad || grad.getType() == type)
    return grad;
  return ReduceToOp::create(b, loc, type, grad);
}
} // namespace

// add: both operands receive the result gradient, reduced to their shape.
bool AddOp::vjpNeedsOperand(unsigned) { return false; }
bool AddOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult AddOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                              ValueRange, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(unbroadcast(b, loc, resultGrads[0], getLhs().getType()));
  operandGrads.push_back(unbroadcast(b, loc, resultGrads[0], getRhs().getType()));
  return success();
}

bool SubOp::vjpNeedsOperand(unsigned) { return false; }
bool SubOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult SubOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                              ValueRange, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(unbroadcast(b, loc, resultGrads[0], getLhs().getType()));
  Value r = unbroadcast(b, loc, resultGrads[0], getRhs().getType());
  operandGrads.push_back(ScaleOp::create(b, loc, r, b.getF64FloatAttr(-1.0)));
  return success();
}

// mul: d(lhs) = d * rhs, d(rhs) = d * lhs.
bool MulOp::vjpNeedsOperand(unsigned) { return true; }
bool MulOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult MulOp::buildVJP(OpBuilder &b, Location loc, ValueRange operands,
                              ValueRange, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  Value d = resultGrads[0];
  Value dl = MulOp::create(b, loc, d, operands[1]);
  Value dr = MulOp::create(b, loc, d, operands[0]);
  operandGrads.push_back(unbroadcast(b, loc, dl, getLhs().getType()));
  operandGrads.push_back(unbroadcast(b, loc, dr, getRhs().getType()));
  return success();
}

// matmul C = op(A) op(B): each operand's gradient is one transposed matmul of
// the other operand with dC.
bool MatmulOp::vjpNeedsOperand(unsigned) { return true; }
bool MatmulOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult MatmulOp::buildVJP(OpBuilder &b, Location loc,
                                 ValueRange operands, ValueRange,
                                 ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  Value a = operands[0], bb = operands[1], d = resultGrads[0];
  bool tl = getTransposeLhs(), tr = getTransposeRhs();
  auto mm = [&](Value x, Value y, bool tx, bool ty) -> Value {
    return MatmulOp::create(b, loc, x, y, tx, ty);
  };
  Value da, db;
  if (!tl && !tr) {
    da = mm(d, bb, false, true);
    db = mm(a, d, true, false);
  } else if (tl && !tr) {
    da = mm(bb, d, false, true);
    db = mm(a, d, false, false);
  } else if (!tl && tr) {
    da = mm(d, bb, false, false);
    db = mm(d, a, true, false);
  } else {
    da = mm(bb, d, true, true);
    db = mm(d, a, true, true);
  }
  operandGrads.push_back(da);
  operandGrads.push_back(db);
  return success();
}

// tanh: d * (1 - y^2) from the saved output.
bool TanhOp::vjpNeedsOperand(unsigned) { return false; }
bool TanhOp::vjpNeedsResult(unsigned) { return true; }
LogicalResult TanhOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                               ValueRange results, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      TanhGradOp::create(b, loc, results[0], resultGrads[0]));
  return success();
}

// relu: the output is positive exactly where the input is, so the output
// (which the next op usually keeps anyway) is the one saved.
bool ReluOp::vjpNeedsOperand(unsigned) { return false; }
bool ReluOp::vjpNeedsResult(unsigned) { return true; }
LogicalResult ReluOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                               ValueRange results, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ReluGradOp::create(b, loc, results[0], resultGrads[0]));
  return success();
}

bool GeluOp::vjpNeedsOperand(unsigned) { return true; }
bool GeluOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult GeluOp::buildVJP(OpBuilder &b, Location loc, ValueRange operands,
                               ValueRange, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(GeluGradOp::create(
      b, loc, operands[0], resultGrads[0], getApproximateAttr()));
  return success();
}

bool ScaleOp::vjpNeedsOperand(unsigned) { return false; }
bool ScaleOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult ScaleOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                ValueRange, ValueRange resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ScaleOp::create(b, loc, resultGrads[0], getFactorAttr()));
  return success();
}

bool SumOp::vjpNeedsOperand(unsigned) { return false; }
bool SumOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult SumOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                              ValueRange, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(BroadcastOp::create(
      b, loc, getInput().getType(), resultGrads[0], getDimsAttr()));
  return success();
}

bool MeanOp::vjpNeedsOperand(unsigned) { return false; }
bool MeanOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult MeanOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                               ValueRange, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  int64_t count = 1;
  for (int64_t d : getDims())
    count *= getInput().getType().getDimSize(d);
  Value scaled = ScaleOp::create(b, loc, resultGrads[0],
                                 b.getF64FloatAttr(1.0 / double(count)));
  operandGrads.push_back(BroadcastOp::create(b, loc, getInput().getType(),
                                             scaled, getDimsAttr()));
  return success();
}

bool BroadcastOp::vjpNeedsOperand(unsigned) { return false; }
bool BroadcastOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult BroadcastOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                    ValueRange, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SumOp::create(b, loc, resultGrads[0], getDimsAttr()));
  return success();
}

#define GET_OP_CLASSES
#include "pareprop/Dialect/NN/IR/NNOps.cpp.inc"
