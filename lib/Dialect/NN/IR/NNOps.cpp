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
  registerAttributes();
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
  if (lhs.getRank() < 2 || lhs.getRank() != rhs.getRank())
    return emitOptionalError(loc, "expects operands of the same rank, at "
                                  "least 2, got ", lhs, " and ", rhs);
  if (failed(requireStatic(loc, lhs)) || failed(requireStatic(loc, rhs)))
    return failure();
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  int64_t r = lhs.getRank();
  if (lhs.getShape().drop_back(2) != rhs.getShape().drop_back(2))
    return emitOptionalError(loc, "batch dimensions differ: ", lhs, " vs ",
                             rhs);
  bool tl = (attrs && attrs.get("transpose_lhs")) || (p && p->transpose_lhs);
  bool tr = (attrs && attrs.get("transpose_rhs")) || (p && p->transpose_rhs);
  int64_t m = lhs.getDimSize(tl ? r - 1 : r - 2),
          kl = lhs.getDimSize(tl ? r - 2 : r - 1);
  int64_t kr = rhs.getDimSize(tr ? r - 1 : r - 2),
          n = rhs.getDimSize(tr ? r - 2 : r - 1);
  if (kl != kr)
    return emitOptionalError(loc, "contracting dimensions differ: ", kl,
                             " vs ", kr);
  SmallVector<int64_t> shape(lhs.getShape().drop_back(2));
  shape.push_back(m);
  shape.push_back(n);
  inferred.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(operands[0].getType());
  auto w = cast<RankedTensorType>(operands[1].getType());
  if (failed(requireStatic(loc, in)) || failed(requireStatic(loc, w)))
    return failure();
  if (in.getRank() < 1 || w.getRank() != 2)
    return emitOptionalError(loc, "expects an input of rank >= 1 and a "
                                  "rank-2 [out, in] weight, got ",
                             in, " and ", w);
  if (in.getElementType() != w.getElementType())
    return emitOptionalError(loc, "operand element types differ");
  if (in.getShape().back() != w.getDimSize(1))
    return emitOptionalError(loc, "input features (", in.getShape().back(),
                             ") do not match the weight's [out, in] = [",
                             w.getDimSize(0), ", ", w.getDimSize(1), "]");
  if (operands.size() > 2) {
    auto bias = cast<RankedTensorType>(operands[2].getType());
    if (bias.getShape() != ArrayRef<int64_t>{w.getDimSize(0)} ||
        bias.getElementType() != w.getElementType())
      return emitOptionalError(
          loc, "bias must be ",
          RankedTensorType::get({w.getDimSize(0)}, w.getElementType()),
          ", got ", bias);
  }
  SmallVector<int64_t> shape(in.getShape().drop_back());
  shape.push_back(w.getDimSize(0));
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            ValueRange operands,
                                            DictionaryAttr, OpaqueProperties,
                                            RegionRange,
                                            SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(operands[0].getType());
  if (failed(requireStatic(loc, in)))
    return failure();
  if (in.getRank() < 1)
    return emitOptionalError(loc, "expects an input of rank >= 1");
  auto stats = RankedTensorType::get(in.getShape().drop_back(),
                                     in.getElementType());
  inferred.append({in, stats, stats});
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange,
    SmallVectorImpl<Type> &inferred) {
  const Properties *p = props.as<Properties *>();
  auto perm = p ? p->permutation : DenseI64ArrayAttr();
  if (!perm && attrs)
    perm = attrs.getAs<DenseI64ArrayAttr>("permutation");
  if (!perm)
    return emitOptionalError(loc, "missing 'permutation'");
  auto in = cast<RankedTensorType>(operands[0].getType());
  if (failed(requireStatic(loc, in)))
    return failure();
  if ((int64_t)perm.size() != in.getRank())
    return emitOptionalError(loc, "permutation has ", perm.size(),
                             " entries for a rank-", in.getRank(), " input");
  SmallVector<bool> seen(in.getRank(), false);
  SmallVector<int64_t> shape;
  for (int64_t d : perm.asArrayRef()) {
    if (d < 0 || d >= in.getRank() || seen[d])
      return emitOptionalError(loc, "permutation ", perm,
                               " is not a permutation of 0..",
                               in.getRank() - 1);
    seen[d] = true;
    shape.push_back(in.getDimSize(d));
  }
  inferred.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

/// Reads a DenseI64ArrayAttr from the properties of a built op or, while
/// parsing, from the attribute dictionary.
static DenseI64ArrayAttr arrayAttr(DenseI64ArrayAttr fromProps,
                                   DictionaryAttr attrs, StringRef name) {
  if (!fromProps && attrs)
    fromProps = attrs.getAs<DenseI64ArrayAttr>(name);
  return fromProps;
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        ValueRange operands,
                                        DictionaryAttr attrs,
                                        OpaqueProperties props, RegionRange,
                                        SmallVectorImpl<Type> &inferred) {
  const Properties *p = props.as<Properties *>();
  auto offsets =
      arrayAttr(p ? p->offsets : DenseI64ArrayAttr(), attrs, "offsets");
  auto sizes = arrayAttr(p ? p->sizes : DenseI64ArrayAttr(), attrs, "sizes");
  if (!offsets || !sizes)
    return emitOptionalError(loc, "missing 'offsets' or 'sizes'");
  auto in = cast<RankedTensorType>(operands[0].getType());
  if (failed(requireStatic(loc, in)))
    return failure();
  int64_t rank = in.getRank();
  if ((int64_t)offsets.size() != rank || (int64_t)sizes.size() != rank)
    return emitOptionalError(loc,
                             "expects one offset and one size per "
                             "dimension of the rank-",
                             rank, " input, got ", offsets.size(),
                             " offsets and ", sizes.size(), " sizes");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t offset = offsets[d], size = sizes[d], dim = in.getDimSize(d);
    if (size < 1)
      return emitOptionalError(loc, "size ", size, " of dimension ", d,
                               " must be at least 1");
    if (offset < 0 || offset + size > dim)
      return emitOptionalError(loc, "slice [", offset, ", ", offset + size,
                               ") of dimension ", d,
                               " is out of bounds for its size ", dim);
  }
  inferred.push_back(RankedTensorType::get(sizes, in.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange,
                                         SmallVectorImpl<Type> &inferred) {
  const Properties *p = props.as<Properties *>();
  IntegerAttr dimAttr = p ? p->dim : IntegerAttr();
  if (!dimAttr && attrs)
    dimAttr = attrs.getAs<IntegerAttr>("dim");
  if (!dimAttr)
    return emitOptionalError(loc, "missing 'dim'");
  if (operands.empty())
    return emitOptionalError(loc, "expects at least one operand");
  auto first = cast<RankedTensorType>(operands[0].getType());
  if (failed(requireStatic(loc, first)))
    return failure();
  int64_t rank = first.getRank(), dim = dimAttr.getInt();
  if (dim < 0 || dim >= rank)
    return emitOptionalError(loc, "dim ", dim, " is out of range for rank-",
                             rank, " operands (expected 0 <= dim < ", rank,
                             ")");
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, v] : llvm::enumerate(operands.drop_front())) {
    auto t = cast<RankedTensorType>(v.getType());
    if (failed(requireStatic(loc, t)))
      return failure();
    if (t.getElementType() != first.getElementType() || t.getRank() != rank)
      return emitOptionalError(loc, "operand ", i + 1, " ", t,
                               " must have the rank and element type of "
                               "operand 0, ",
                               first);
    for (int64_t d = 0; d < rank; ++d)
      if (d != dim && t.getDimSize(d) != first.getDimSize(d))
        return emitOptionalError(
            loc, "operand ", i + 1, " ", t, " differs from operand 0, ", first,
            ", in dimension ", d, ", which is not the concatenated one");
    shape[dim] += t.getDimSize(dim);
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr,
                                            OpaqueProperties, RegionRange,
                                            SmallVectorImpl<Type> &inferred) {
  auto ids = cast<RankedTensorType>(operands[0].getType());
  auto table = cast<RankedTensorType>(operands[1].getType());
  if (failed(requireStatic(loc, ids)) || failed(requireStatic(loc, table)))
    return failure();
  if (table.getRank() != 2)
    return emitOptionalError(loc, "expects a rank-2 [V, D] table, got ", table);
  SmallVector<int64_t> shape(ids.getShape());
  shape.push_back(table.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

/// Shapes of nn.cross_entropy and its gradient: [N, C] logits, [N] labels.
static LogicalResult verifyCrossEntropyOperands(std::optional<Location> loc,
                                                RankedTensorType logits,
                                                RankedTensorType labels) {
  if (failed(requireStatic(loc, logits)) || failed(requireStatic(loc, labels)))
    return failure();
  if (logits.getRank() != 2)
    return emitOptionalError(loc, "expects [N, C] logits, got ", logits);
  if (labels.getShape() != ArrayRef<int64_t>{logits.getDimSize(0)})
    return emitOptionalError(loc, "expects one label per row of the ", logits,
                             " logits (tensor<", logits.getDimSize(0),
                             "xi64>), got ", labels);
  return success();
}

LogicalResult
CrossEntropyOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                 ValueRange operands, DictionaryAttr,
                                 OpaqueProperties, RegionRange,
                                 SmallVectorImpl<Type> &inferred) {
  auto logits = cast<RankedTensorType>(operands[0].getType());
  auto labels = cast<RankedTensorType>(operands[1].getType());
  if (failed(verifyCrossEntropyOperands(loc, logits, labels)))
    return failure();
  inferred.push_back(RankedTensorType::get({}, logits.getElementType()));
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

LogicalResult LayerNormOp::verify() {
  auto in = getInput().getType(), gamma = getGamma().getType();
  int64_t features = in.getShape().back();
  if (gamma.getShape() != ArrayRef<int64_t>{features} ||
      gamma.getElementType() != in.getElementType())
    return emitOpError("gamma and beta must be ")
           << RankedTensorType::get({features}, in.getElementType())
           << " (the size of the normalized last dimension), got " << gamma;
  if (getEpsilon().convertToDouble() <= 0)
    return emitOpError("epsilon must be positive");
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  int64_t dim = getDim();
  if (rank == 0)
    return emitOpError("expects an operand of rank >= 1");
  if (dim != -1 && dim != rank - 1)
    return emitOpError("normalizes over the last dimension only (dim = ")
           << rank - 1 << " or -1 for this rank-" << rank
           << " operand), got dim = " << dim
           << "; transpose the operand so the softmax dimension is last";
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (failed(requireStatic(getLoc(), in)) ||
      failed(requireStatic(getLoc(), out)))
    return failure();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << in << " (" << in.getNumElements() << " elements) to " << out
           << " (" << out.getNumElements() << " elements)";
  return success();
}

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0.0 && rate < 1.0))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  if (getId() < 0)
    return emitOpError("id must be non-negative");
  return success();
}

LogicalResult MaxAbsErrorOp::verify() {
  if (getResult().getType().getShape() != ArrayRef<int64_t>{2})
    return emitOpError("result must be tensor<2xf64>");
  return success();
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

LogicalResult SliceGradOp::verify() {
  auto grad = getGrad().getType(), out = getResult().getType();
  if (failed(requireStatic(getLoc(), grad)) ||
      failed(requireStatic(getLoc(), out)))
    return failure();
  if (grad.getElementType() != out.getElementType())
    return emitOpError("element types differ");
  if (grad.getRank() != out.getRank())
    return emitOpError("expects a result of the gradient's rank ")
           << grad.getRank() << ", got " << out;
  ArrayRef<int64_t> offsets = getOffsets();
  if ((int64_t)offsets.size() != out.getRank())
    return emitOpError("expects one offset per dimension (")
           << out.getRank() << "), got " << offsets.size();
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (offsets[d] < 0 || offsets[d] + grad.getDimSize(d) > out.getDimSize(d))
      return emitOpError("box [")
             << offsets[d] << ", " << offsets[d] + grad.getDimSize(d)
             << ") of dimension " << d << " is out of bounds for its size "
             << out.getDimSize(d);
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  auto ids = getIds().getType(), grad = getGrad().getType(),
       out = getResult().getType();
  if (failed(requireStatic(getLoc(), ids)) ||
      failed(requireStatic(getLoc(), grad)) ||
      failed(requireStatic(getLoc(), out)))
    return failure();
  if (out.getRank() != 2)
    return emitOpError("expects a rank-2 [V, D] result, got ") << out;
  SmallVector<int64_t> rows(ids.getShape());
  rows.push_back(out.getDimSize(1));
  if (grad.getShape() != ArrayRef<int64_t>(rows) ||
      grad.getElementType() != out.getElementType())
    return emitOpError("expects a gradient of type ")
           << RankedTensorType::get(rows, out.getElementType())
           << " (the ids' shape followed by D), got " << grad;
  return success();
}

LogicalResult CrossEntropyGradOp::verify() {
  auto logits = getLogits().getType();
  if (failed(
          verifyCrossEntropyOperands(getLoc(), logits, getLabels().getType())))
    return failure();
  auto dloss = getDloss().getType();
  if (dloss != RankedTensorType::get({}, logits.getElementType()))
    return emitOpError("expects a rank-0 loss gradient of the logits' "
                       "element type, got ")
           << dloss;
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
// the other operand with dC; batch dimensions pass through.
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

namespace {
/// `value` viewed as a matrix [product of leading dims, last dim].
Value flattenLeading(OpBuilder &b, Location loc, Value value) {
  auto t = cast<RankedTensorType>(value.getType());
  if (t.getRank() == 2)
    return value;
  int64_t rows = t.getNumElements() / t.getShape().back();
  return ReshapeOp::create(
      b, loc,
      RankedTensorType::get({rows, t.getShape().back()}, t.getElementType()),
      value);
}

/// Dimensions 0 .. rank-2: the batch dimensions of a last-dim op.
DenseI64ArrayAttr leadingDims(OpBuilder &b, RankedTensorType t) {
  return b.getDenseI64ArrayAttr(
      llvm::to_vector(llvm::seq<int64_t>(0, t.getRank() - 1)));
}

DenseI64ArrayAttr lastDim(OpBuilder &b, RankedTensorType t) {
  return b.getDenseI64ArrayAttr({t.getRank() - 1});
}
} // namespace

// linear y = x W^T + b: dx = dy W, dW = dy^T x over all batch rows,
// db = dy summed over the batch dimensions.
bool LinearOp::vjpNeedsOperand(unsigned index) { return index < 2; }
bool LinearOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult LinearOp::buildVJP(OpBuilder &b, Location loc,
                                 ValueRange operands, ValueRange,
                                 ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  Value x = operands[0], w = operands[1], dy = resultGrads[0];
  auto xType = getInput().getType();
  Value dy2 = flattenLeading(b, loc, dy);
  Value dx = MatmulOp::create(b, loc, dy2, w, false, false);
  if (dx.getType() != xType)
    dx = ReshapeOp::create(b, loc, xType, dx);
  Value dw = MatmulOp::create(b, loc, dy2, flattenLeading(b, loc, x),
                              /*transpose_lhs=*/true, false);
  operandGrads.push_back(dx);
  operandGrads.push_back(dw);
  if (getBias())
    operandGrads.push_back(
        SumOp::create(b, loc, dy, leadingDims(b, getResult().getType())));
  return success();
}

// layer_norm: with xhat = (x - mean) rstd and g = dy gamma,
//   dx = rstd (g - mean(g) - xhat mean(g xhat)),
//   dgamma = sum(dy xhat), dbeta = sum(dy) over the batch dimensions.
// It reads x, gamma and the row statistics; xhat is rebuilt elementwise
// rather than saved, which would cost a second activation-sized tensor.
bool LayerNormOp::vjpNeedsOperand(unsigned index) { return index < 2; }
bool LayerNormOp::vjpNeedsResult(unsigned index) { return index > 0; }
LogicalResult LayerNormOp::buildVJP(OpBuilder &b, Location loc,
                                    ValueRange operands, ValueRange results,
                                    ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (resultGrads[1] || resultGrads[2])
    return emitOpError("differentiating through the mean or rstd results of "
                       "nn.layer_norm is not supported; use only its first "
                       "result on a differentiated path");
  Value x = operands[0], gamma = operands[1], dy = resultGrads[0];
  Value mean = results[1], rstd = results[2];
  auto xType = getInput().getType();
  auto last = lastDim(b, xType);
  auto spread = [&](Value stat) -> Value {
    return BroadcastOp::create(b, loc, xType, stat, last);
  };
  Value rstdFull = spread(rstd);
  Value xhat = MulOp::create(b, loc, SubOp::create(b, loc, x, spread(mean)),
                             rstdFull);
  Value g = MulOp::create(b, loc, dy, gamma);
  Value meanG = MeanOp::create(b, loc, g, last);
  Value meanGX = MeanOp::create(b, loc, MulOp::create(b, loc, g, xhat), last);
  Value inner = SubOp::create(b, loc, SubOp::create(b, loc, g, spread(meanG)),
                              MulOp::create(b, loc, xhat, spread(meanGX)));
  operandGrads.push_back(MulOp::create(b, loc, rstdFull, inner));
  auto lead = leadingDims(b, xType);
  operandGrads.push_back(
      SumOp::create(b, loc, MulOp::create(b, loc, dy, xhat), lead));
  operandGrads.push_back(SumOp::create(b, loc, dy, lead));
  return success();
}

// softmax: dx = y (dy - sum(dy y)) along the last dimension, from the output.
bool SoftmaxOp::vjpNeedsOperand(unsigned) { return false; }
bool SoftmaxOp::vjpNeedsResult(unsigned) { return true; }
LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                  ValueRange results, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  Value y = results[0], dy = resultGrads[0];
  auto type = getResult().getType();
  auto last = lastDim(b, type);
  Value dot = SumOp::create(b, loc, MulOp::create(b, loc, dy, y), last);
  Value centered =
      SubOp::create(b, loc, dy, BroadcastOp::create(b, loc, type, dot, last));
  operandGrads.push_back(MulOp::create(b, loc, y, centered));
  return success();
}

bool ReshapeOp::vjpNeedsOperand(unsigned) { return false; }
bool ReshapeOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult ReshapeOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                  ValueRange, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ReshapeOp::create(b, loc, getInput().getType(), resultGrads[0]));
  return success();
}

// transpose: the gradient goes back through the inverse permutation.
bool TransposeOp::vjpNeedsOperand(unsigned) { return false; }
bool TransposeOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult TransposeOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                    ValueRange, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, d] : llvm::enumerate(perm))
    inverse[d] = i;
  operandGrads.push_back(TransposeOp::create(
      b, loc, resultGrads[0], b.getDenseI64ArrayAttr(inverse)));
  return success();
}

// slice: the gradient is dy written into zeros at the slice's place.
bool SliceOp::vjpNeedsOperand(unsigned) { return false; }
bool SliceOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult SliceOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                ValueRange, ValueRange resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SliceGradOp::create(b, loc, getInput().getType(),
                                             resultGrads[0], getOffsetsAttr()));
  return success();
}

// concat: each operand's gradient is the slice of dy at its place.
bool ConcatOp::vjpNeedsOperand(unsigned) { return false; }
bool ConcatOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult ConcatOp::buildVJP(OpBuilder &b, Location loc, ValueRange,
                                 ValueRange, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  int64_t dim = getDim(), offset = 0;
  for (Value in : getInputs()) {
    auto type = cast<RankedTensorType>(in.getType());
    SmallVector<int64_t> offsets(type.getRank(), 0);
    offsets[dim] = offset;
    offset += type.getDimSize(dim);
    operandGrads.push_back(
        SliceOp::create(b, loc, resultGrads[0], b.getDenseI64ArrayAttr(offsets),
                        b.getDenseI64ArrayAttr(type.getShape())));
  }
  return success();
}

// embedding: the table gets the rows of dy added at their ids; the ids are
// integers and get nothing. Only the ids are read.
bool EmbeddingOp::vjpNeedsOperand(unsigned index) { return index == 0; }
bool EmbeddingOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult EmbeddingOp::buildVJP(OpBuilder &b, Location loc,
                                    ValueRange operands, ValueRange,
                                    ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(Value());
  operandGrads.push_back(EmbeddingGradOp::create(b, loc, getTable().getType(),
                                                 operands[0], resultGrads[0]));
  return success();
}

// cross_entropy: d(logits) = (softmax - onehot(labels)) * dloss / N, from
// the logits and labels; the labels get nothing.
bool CrossEntropyOp::vjpNeedsOperand(unsigned) { return true; }
bool CrossEntropyOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult CrossEntropyOp::buildVJP(OpBuilder &b, Location loc,
                                       ValueRange operands, ValueRange,
                                       ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(CrossEntropyGradOp::create(
      b, loc, operands[0], operands[1], resultGrads[0], getIgnoreIndex()));
  operandGrads.push_back(Value());
  return success();
}

// dropout: the gradient is the same mask applied to dy, regenerated from the
// key rather than saved. The key gets no gradient.
bool DropoutOp::vjpNeedsOperand(unsigned index) { return index == 1; }
bool DropoutOp::vjpNeedsResult(unsigned) { return false; }
LogicalResult DropoutOp::buildVJP(OpBuilder &b, Location loc,
                                  ValueRange operands, ValueRange,
                                  ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(DropoutOp::create(b, loc, resultGrads[0], operands[1],
                                           getRateAttr(), getIdAttr()));
  operandGrads.push_back(Value());
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
