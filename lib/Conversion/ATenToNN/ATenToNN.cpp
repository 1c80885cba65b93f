//===- ATenToNN.cpp - PyTorch operator calls -> nn ops --------------------===//
//
// The convert-aten-to-nn pass: the one table that lowers torch operators to
// nn, for the torch.fx exporter and the TorchScript importer alike. Each
// entry reads an aten.call's named operands and arguments (ATen schema names)
// and builds the nn ops computing its results; the result types the frontend
// recorded are checked against what was built.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Dialect/ATen/IR/ATenOps.h"
#include "pareprop/Dialect/NN/IR/NNOps.h"
#include "pareprop/Dialect/Rev/IR/RevDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/InterleavedRange.h"

#include <cmath>
#include <numeric>

namespace pareprop {
#define GEN_PASS_DEF_CONVERTATENTONN
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;

namespace {

using Shape = SmallVector<int64_t>;

int64_t normalizeDim(int64_t dim, int64_t rank) {
  return dim < 0 ? dim + rank : dim;
}

/// State shared by the calls of one module: dropout numbering per function.
struct ModuleState {
  llvm::DenseMap<Operation *, int64_t> dropoutsPerFunction;
};

/// One aten.call being lowered: its operands and arguments by schema name,
/// the nn builders its lowering uses, and the results it produces.
class Call {
public:
  Call(aten::CallOp op, ModuleState &state)
      : op(op), state(state), b(op), loc(op.getLoc()) {}

  aten::CallOp op;
  ModuleState &state;
  OpBuilder b;
  Location loc;
  /// One value per result of the call, set by the lowering.
  SmallVector<Value> results;
  /// Set when an argument had the wrong kind (already diagnosed).
  bool badArgument = false;

  InFlightDiagnostic error() {
    return op.emitError() << "aten::" << op.getOpName() << ": ";
  }

  // Operands ----------------------------------------------------------------

  /// The tensor operand `name`, or null (diagnosed) when there is none.
  Value tensor(StringRef name) {
    Value v = optionalTensor(name);
    if (!v && !badArgument) {
      error() << "needs tensor operand '" << name << "'";
      badArgument = true;
    }
    return v;
  }
  /// The tensor operand `name`, or null when it is None.
  Value optionalTensor(StringRef name) {
    SmallVector<Value> values = op.getNamedOperands(name);
    if (values.empty())
      return {};
    if (values.size() > 1 || !isa<RankedTensorType>(values[0].getType())) {
      error() << "operand '" << name << "' must be one ranked tensor";
      badArgument = true;
      return {};
    }
    return values[0];
  }
  SmallVector<Value> tensors(StringRef name) {
    SmallVector<Value> values = op.getNamedOperands(name);
    if (values.empty()) {
      error() << "needs tensor operands '" << name << "'";
      badArgument = true;
    }
    return values;
  }
  bool hasOperand(StringRef name) { return !op.getNamedOperands(name).empty(); }

  // Arguments ---------------------------------------------------------------

  bool has(StringRef name) { return bool(op.getArg(name)); }

  int64_t integer(StringRef name, std::optional<int64_t> byDefault = {}) {
    Attribute a = op.getArg(name);
    if (auto i = dyn_cast_or_null<IntegerAttr>(a);
        i && !i.getType().isInteger(1))
      return i.getInt();
    return argumentError<int64_t>(name, a, "an integer", byDefault);
  }
  double number(StringRef name, std::optional<double> byDefault = {}) {
    Attribute a = op.getArg(name);
    if (auto f = dyn_cast_or_null<FloatAttr>(a))
      return f.getValueAsDouble();
    if (auto i = dyn_cast_or_null<IntegerAttr>(a);
        i && !i.getType().isInteger(1))
      return double(i.getInt());
    return argumentError<double>(name, a, "a number", byDefault);
  }
  bool flag(StringRef name, std::optional<bool> byDefault = {}) {
    Attribute a = op.getArg(name);
    if (auto f = dyn_cast_or_null<BoolAttr>(a))
      return f.getValue();
    return argumentError<bool>(name, a, "a boolean", byDefault);
  }
  StringRef string(StringRef name, std::optional<StringRef> byDefault = {}) {
    Attribute a = op.getArg(name);
    if (auto s = dyn_cast_or_null<StringAttr>(a))
      return s.getValue();
    return argumentError<StringRef>(name, a, "a string", byDefault);
  }
  /// An integer list (one integer stands for a list of one).
  Shape integers(StringRef name, std::optional<Shape> byDefault = {}) {
    Attribute a = op.getArg(name);
    if (auto list = dyn_cast_or_null<DenseI64ArrayAttr>(a))
      return Shape(list.asArrayRef());
    if (auto i = dyn_cast_or_null<IntegerAttr>(a);
        i && !i.getType().isInteger(1))
      return Shape{i.getInt()};
    return argumentError<Shape>(name, a, "an integer list", byDefault);
  }

  RankedTensorType resultType(unsigned i = 0) {
    return cast<RankedTensorType>(op.getResult(i).getType());
  }

  // nn builders -------------------------------------------------------------

  Value reshape(Value x, ArrayRef<int64_t> shape) {
    auto type = cast<RankedTensorType>(x.getType());
    if (type.getShape() == shape)
      return x;
    return nn::ReshapeOp::create(b, loc, type.clone(shape), x);
  }
  Value transpose(Value x, Shape perm) {
    int64_t rank = rankOf(x);
    Shape identity(rank);
    std::iota(identity.begin(), identity.end(), 0);
    for (int64_t &p : perm)
      p = normalizeDim(p, rank);
    if (perm == identity)
      return x;
    return nn::TransposeOp::create(b, loc, x, b.getDenseI64ArrayAttr(perm));
  }
  Value swap(Value x, int64_t d0, int64_t d1) {
    int64_t rank = rankOf(x);
    Shape perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[normalizeDim(d0, rank)], perm[normalizeDim(d1, rank)]);
    return transpose(x, perm);
  }
  Value slice(Value x, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
    if (shapeOf(x) == sizes)
      return x;
    return nn::SliceOp::create(b, loc, x, b.getDenseI64ArrayAttr(offsets),
                               b.getDenseI64ArrayAttr(sizes));
  }
  Value sliceDim(Value x, int64_t dim, int64_t start, int64_t size) {
    Shape offsets(rankOf(x), 0), sizes = shapeOf(x);
    offsets[dim] = start;
    sizes[dim] = size;
    return slice(x, offsets, sizes);
  }
  Value scale(Value x, double factor) {
    if (factor == 1.0)
      return x;
    return nn::ScaleOp::create(b, loc, x, b.getF64FloatAttr(factor));
  }
  /// An elementwise binary op with NumPy broadcasting; null (diagnosed)
  /// when the shapes do not broadcast.
  template <typename OpTy> Value binary(Value lhs, Value rhs) {
    if (!broadcastShape(shapeOf(lhs), shapeOf(rhs))) {
      error() << "shapes " << lhs.getType() << " and " << rhs.getType()
              << " do not broadcast";
      return {};
    }
    return OpTy::create(b, loc, lhs, rhs);
  }
  /// `x` broadcast to `target` (NumPy rules): the dimensions that grow are
  /// dropped, then inserted at full size.
  Value broadcastTo(Value x, ArrayRef<int64_t> target) {
    Shape shape = shapeOf(x), kept, inserted;
    int64_t lead = int64_t(target.size()) - int64_t(shape.size());
    for (int64_t i = 0; i < int64_t(target.size()); ++i) {
      int64_t src = i - lead;
      if (src < 0 || (shape[src] == 1 && target[i] != 1))
        inserted.push_back(i);
      else
        kept.push_back(target[i]);
    }
    if (inserted.empty())
      return x;
    Value base = reshape(x, kept);
    auto type = cast<RankedTensorType>(base.getType()).clone(target);
    return nn::BroadcastOp::create(b, loc, type, base,
                                   b.getDenseI64ArrayAttr(inserted));
  }
  /// A batched product; a rank-2 right operand under a batched left one is
  /// one 2-D product of the flattened rows. A transpose of the right
  /// operand's last two dimensions read by nothing else becomes the
  /// product's transpose_rhs.
  Value matmul(Value lhs, Value rhs) {
    int64_t lr = rankOf(lhs), rr = rankOf(rhs);
    if (lr < 2 || rr < 2) {
      error() << "matmul of a vector is not supported (operands of rank >= "
                 "2)";
      return {};
    }
    if (rr == 2 && lr > 2) {
      Shape shape = shapeOf(lhs);
      int64_t rows = std::accumulate(shape.begin(), shape.end() - 1, int64_t(1),
                                     std::multiplies<int64_t>());
      Value flat = matmul(reshape(lhs, {rows, shape.back()}), rhs);
      if (!flat)
        return {};
      Shape out(shape.begin(), shape.end() - 1);
      out.push_back(shapeOf(rhs).back());
      return reshape(flat, out);
    }
    Shape ls = shapeOf(lhs), rs = shapeOf(rhs);
    if (lr != rr || !std::equal(ls.begin(), ls.end() - 2, rs.begin())) {
      error() << "matmul of " << lhs.getType() << " and " << rhs.getType()
              << ": batch dimensions must match (no batch broadcasting)";
      return {};
    }
    if (ls.back() != rs[rr - 2]) {
      error() << "matmul of " << lhs.getType() << " and " << rhs.getType()
              << ": inner dimensions differ";
      return {};
    }
    bool transposeRhs = false;
    if (auto t = rhs.getDefiningOp<nn::TransposeOp>(); t && rhs.hasOneUse()) {
      Shape swapLast(rr);
      std::iota(swapLast.begin(), swapLast.end(), 0);
      std::swap(swapLast[rr - 2], swapLast[rr - 1]);
      if (t.getPermutation() == ArrayRef<int64_t>(swapLast)) {
        rhs = t.getInput();
        transposeRhs = true;
        foldedTransposes.push_back(t);
      }
    }
    return nn::MatmulOp::create(b, loc, lhs, rhs, /*transpose_lhs=*/UnitAttr(),
                                transposeRhs ? b.getUnitAttr() : UnitAttr());
  }
  Value softmax(Value x, int64_t dim) {
    int64_t rank = rankOf(x);
    dim = normalizeDim(dim, rank);
    if (dim != rank - 1)
      return swap(softmax(swap(x, dim, -1), -1), dim, -1);
    return nn::SoftmaxOp::create(b, loc, x, b.getI64IntegerAttr(rank - 1));
  }
  template <typename OpTy> Value reduce(Value x, Shape dims, bool keepdim) {
    int64_t rank = rankOf(x);
    for (int64_t &d : dims)
      d = normalizeDim(d, rank);
    llvm::sort(dims);
    dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
    Value out = OpTy::create(b, loc, x, b.getDenseI64ArrayAttr(dims));
    if (!keepdim)
      return out;
    Shape kept = shapeOf(x);
    for (int64_t d : dims)
      kept[d] = 1;
    return reshape(out, kept);
  }
  /// Where `ids` is an argument of a public function (the loss), records
  /// that its values lie in [0, bound) for the step's index checks.
  void boundIndex(Value ids, int64_t bound) {
    while (auto reshape = ids.getDefiningOp<nn::ReshapeOp>())
      ids = reshape.getInput();
    auto arg = dyn_cast<BlockArgument>(ids);
    if (!arg)
      return;
    auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!fn || fn.isPrivate())
      return;
    StringRef name = rev::RevDialect::kIndexBoundAttr;
    auto existing = fn.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), name);
    if (!existing || existing.getInt() > bound)
      fn.setArgAttr(arg.getArgNumber(), name, b.getI64IntegerAttr(bound));
  }
  /// The next dropout id of the function holding the call.
  int64_t nextDropoutId() {
    return state.dropoutsPerFunction[op->getParentOfType<func::FuncOp>()]++;
  }
  bool validDim(int64_t dim, Value x) {
    int64_t rank = rankOf(x);
    return dim >= -rank && dim < rank;
  }
  /// Whether `v` is a zeros_like call's result (a zero base, no value).
  static bool isZeros(Value v) {
    auto call = v.getDefiningOp<aten::CallOp>();
    return call && call.getOpName() == "zeros_like";
  }

  static Shape shapeOf(Value v) {
    return Shape(cast<RankedTensorType>(v.getType()).getShape());
  }
  static int64_t rankOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  }
  static std::optional<Shape> broadcastShape(ArrayRef<int64_t> a,
                                             ArrayRef<int64_t> b) {
    Shape out;
    int64_t n = std::max(a.size(), b.size());
    for (int64_t i = 1; i <= n; ++i) {
      int64_t x = i <= int64_t(a.size()) ? a[a.size() - i] : 1;
      int64_t y = i <= int64_t(b.size()) ? b[b.size() - i] : 1;
      if (x != y && x != 1 && y != 1)
        return std::nullopt;
      out.insert(out.begin(), std::max(x, y));
    }
    return out;
  }

  /// Transposes folded into a product: erased once the call is replaced.
  SmallVector<nn::TransposeOp> foldedTransposes;

private:
  template <typename T>
  T argumentError(StringRef name, Attribute a, StringRef kind,
                  std::optional<T> byDefault) {
    if (!a && byDefault)
      return *byDefault;
    if (!badArgument) {
      if (a)
        error() << "argument '" << name << "' must be " << kind << ", got "
                << a;
      else
        error() << "needs argument '" << name << "'";
      badArgument = true;
    }
    return T();
  }
};

using Lowering = LogicalResult (*)(Call &);

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// add and sub: tensors (alpha 1) with broadcasting.
template <typename OpTy> LogicalResult lowerAddSub(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  if (c.number("alpha", 1.0) != 1.0)
    return c.error() << "alpha is not supported";
  Value other = c.optionalTensor("other");
  if (!other)
    return c.error() << "adding a number to a tensor is not supported";
  Value r = c.binary<OpTy>(self, other);
  c.results = {r};
  return success(bool(r));
}

LogicalResult lowerMul(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  if (Value other = c.optionalTensor("other")) {
    Value r = c.binary<nn::MulOp>(self, other);
    c.results = {r};
    return success(bool(r));
  }
  c.results = {c.scale(self, c.number("other"))};
  return success();
}

LogicalResult lowerDiv(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  if (c.hasOperand("other"))
    return c.error() << "division by a tensor is not supported (a tensor "
                        "over a number is)";
  if (c.has("rounding_mode"))
    return c.error() << "rounding_mode is not supported";
  c.results = {c.scale(self, 1.0 / c.number("other"))};
  return success();
}

LogicalResult lowerNeg(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  c.results = {c.scale(self, -1.0)};
  return success();
}

template <typename OpTy> LogicalResult lowerUnary(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  c.results = {OpTy::create(c.b, c.loc, self)};
  return success();
}

LogicalResult lowerGelu(Call &c) {
  Value self = c.tensor("self");
  StringRef approximate = c.string("approximate", StringRef("none"));
  if (!self)
    return failure();
  if (approximate != "none" && approximate != "tanh")
    return c.error() << "approximate must be 'none' or 'tanh', got '"
                     << approximate << "'";
  c.results = {nn::GeluOp::create(
      c.b, c.loc, self,
      approximate == "none" ? StringAttr() : c.b.getStringAttr(approximate))};
  return success();
}

/// Dropout draws its mask from the key operand (the frontend's dropout
/// seed); in eval mode, or at rate 0, it is the identity.
LogicalResult lowerDropout(Call &c) {
  Value input = c.tensor("input");
  double rate = c.number("p", 0.5);
  bool train = c.flag("train", true);
  if (!input)
    return failure();
  if (!train || rate == 0.0) {
    c.results = {input};
    return success();
  }
  if (!(rate >= 0.0 && rate < 1.0))
    return c.error() << "dropout rate " << rate << " not in [0, 1)";
  SmallVector<Value> key = c.op.getNamedOperands("key");
  if (key.size() != 1 || !key[0].getType().isInteger(64))
    return c.error() << "needs the i64 operand 'key' (the dropout seed)";
  c.results = {nn::DropoutOp::create(c.b, c.loc, input, key[0],
                                     c.b.getF64FloatAttr(rate),
                                     c.b.getI64IntegerAttr(c.nextDropoutId()))};
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult lowerMatmul(Call &c) {
  Value self = c.tensor("self"), other = c.tensor("other");
  if (!self || !other)
    return failure();
  Value r = c.matmul(self, other);
  c.results = {r};
  return success(bool(r));
}

LogicalResult lowerBmm(Call &c) {
  Value self = c.tensor("self"), mat2 = c.tensor("mat2");
  if (!self || !mat2)
    return failure();
  Value r = c.matmul(self, mat2);
  c.results = {r};
  return success(bool(r));
}

/// beta * self + alpha * (batch1 @ batch2); a zeros_like self adds nothing.
LogicalResult lowerBaddbmm(Call &c) {
  Value self = c.tensor("self");
  Value b1 = c.tensor("batch1"), b2 = c.tensor("batch2");
  double beta = c.number("beta", 1.0), alpha = c.number("alpha", 1.0);
  if (!self || !b1 || !b2)
    return failure();
  Value product = c.matmul(b1, b2);
  if (!product)
    return failure();
  product = c.scale(product, alpha);
  if (Call::isZeros(self) || beta == 0.0) {
    c.results = {product};
    return success();
  }
  Value r = c.binary<nn::AddOp>(c.scale(self, beta), product);
  c.results = {r};
  return success(bool(r));
}

LogicalResult lowerLinear(Call &c) {
  Value input = c.tensor("input"), weight = c.tensor("weight");
  Value bias = c.optionalTensor("bias");
  if (!input || !weight)
    return failure();
  Shape ws = Call::shapeOf(weight);
  if (ws.size() != 2 || Call::shapeOf(input).back() != ws[1] ||
      (bias && Call::shapeOf(bias) != Shape{ws[0]})) {
    InFlightDiagnostic d = c.error();
    d << "linear of " << input.getType() << " with weight " << weight.getType();
    if (bias)
      d << " and bias " << bias.getType();
    return d << ": needs an [out, in] weight and an [out] bias";
  }
  c.results = {nn::LinearOp::create(c.b, c.loc, input, weight, bias)};
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

LogicalResult lowerLayerNorm(Call &c) {
  Value input = c.tensor("input");
  Shape normalized = c.integers("normalized_shape");
  double eps = c.number("eps", 1e-5);
  if (!input)
    return failure();
  Value weight = c.optionalTensor("weight"), bias = c.optionalTensor("bias");
  if (normalized != Shape{Call::shapeOf(input).back()})
    return c.error() << "layer_norm over more than the last dimension is "
                        "not supported";
  if (!weight || !bias)
    return c.error() << "layer_norm without weight and bias is not supported";
  if (Call::shapeOf(weight) != normalized || Call::shapeOf(bias) != normalized)
    return c.error() << "layer_norm weight and bias must have the normalized "
                        "shape";
  c.results = {nn::LayerNormOp::create(c.b, c.loc, input, weight, bias,
                                       c.b.getF64FloatAttr(eps))
                   .getResult()};
  return success();
}

LogicalResult lowerSoftmax(Call &c) {
  Value self = c.tensor("self");
  int64_t dim = c.integer("dim");
  if (!self || c.badArgument)
    return failure();
  if (c.has("dtype"))
    return c.error() << "softmax with a dtype is not supported";
  if (!c.validDim(dim, self))
    return c.error() << "dim " << dim << " out of range for " << self.getType();
  c.results = {c.softmax(self, dim)};
  return success();
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

/// view, reshape, flatten, squeeze, ...: the shape the frontend recorded.
LogicalResult lowerReshape(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  c.results = {c.reshape(self, c.resultType().getShape())};
  return success();
}

LogicalResult lowerIdentity(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  c.results = {self};
  return success();
}

/// to, type_as: only to the dtype the tensor has.
LogicalResult lowerConversion(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  if (cast<RankedTensorType>(self.getType()).getElementType() !=
      c.resultType().getElementType())
    return c.error() << "dtype conversions are not supported";
  c.results = {self};
  return success();
}

LogicalResult lowerPermute(Call &c) {
  Value self = c.tensor("self");
  Shape dims = c.integers("dims");
  if (!self || c.badArgument)
    return failure();
  int64_t rank = Call::rankOf(self);
  Shape sorted;
  for (int64_t d : dims)
    sorted.push_back(normalizeDim(d, rank));
  llvm::sort(sorted);
  Shape identity(rank);
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::interleaved_array(dims);
    return c.error() << "dims " << text
                     << " are not a permutation of the dimensions of "
                     << self.getType();
  }
  c.results = {c.transpose(self, dims)};
  return success();
}

LogicalResult lowerTranspose(Call &c) {
  Value self = c.tensor("self");
  int64_t d0 = c.integer("dim0"), d1 = c.integer("dim1");
  if (!self || c.badArgument)
    return failure();
  if (!c.validDim(d0, self) || !c.validDim(d1, self))
    return c.error() << "dims " << d0 << ", " << d1 << " out of range for "
                     << self.getType();
  c.results = {c.swap(self, d0, d1)};
  return success();
}

LogicalResult lowerT(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  c.results = {c.swap(self, 0, -1)};
  return success();
}

LogicalResult lowerExpand(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  c.results = {c.broadcastTo(self, c.resultType().getShape())};
  return success();
}

LogicalResult lowerBroadcastTensors(Call &c) {
  SmallVector<Value> inputs = c.tensors("tensors");
  if (inputs.size() != c.op.getNumResults())
    return c.error() << "needs one result per tensor";
  for (auto [i, x] : llvm::enumerate(inputs))
    c.results.push_back(c.broadcastTo(x, c.resultType(i).getShape()));
  return success();
}

LogicalResult lowerSlice(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  int64_t rank = Call::rankOf(self);
  int64_t dim = normalizeDim(c.integer("dim", 0), rank);
  if (dim < 0 || dim >= rank)
    return c.error() << "dim out of range";
  int64_t n = Call::shapeOf(self)[dim];
  int64_t start = c.integer("start", 0), end = c.integer("end", n);
  if (c.integer("step", 1) != 1)
    return c.error() << "slices with a step are not supported";
  start = std::clamp(start < 0 ? start + n : start, int64_t(0), n);
  end = std::clamp(end < 0 ? end + n : end, int64_t(0), n);
  if (end <= start)
    return c.error() << "empty slices are not supported";
  c.results = {c.sliceDim(self, dim, start, end - start)};
  return success();
}

LogicalResult lowerSelect(Call &c) {
  Value self = c.tensor("self");
  int64_t dim = c.integer("dim"), index = c.integer("index");
  if (!self || c.badArgument)
    return failure();
  int64_t rank = Call::rankOf(self);
  dim = normalizeDim(dim, rank);
  if (dim < 0 || dim >= rank)
    return c.error() << "dim out of range";
  int64_t n = Call::shapeOf(self)[dim];
  index = index < 0 ? index + n : index;
  if (index < 0 || index >= n)
    return c.error() << "index " << index << " out of range";
  c.results = {
      c.reshape(c.sliceDim(self, dim, index, 1), c.resultType().getShape())};
  return success();
}

/// chunk, split, split_with_sizes, unbind: consecutive slices along `dim`,
/// sized as the frontend recorded each piece.
LogicalResult lowerPieces(Call &c) {
  Value self = c.tensor("self");
  if (!self)
    return failure();
  bool unbind = c.op.getOpName() == "unbind";
  int64_t rank = Call::rankOf(self);
  int64_t dim = normalizeDim(c.integer("dim", 0), rank);
  if (dim < 0 || dim >= rank)
    return c.error() << "dim out of range";
  int64_t start = 0;
  for (unsigned i = 0; i < c.op.getNumResults(); ++i) {
    int64_t size = unbind ? 1 : c.resultType(i).getDimSize(dim);
    c.results.push_back(c.reshape(c.sliceDim(self, dim, start, size),
                                  c.resultType(i).getShape()));
    start += size;
  }
  if (start != Call::shapeOf(self)[dim])
    return c.error() << "pieces do not cover dimension " << dim;
  return success();
}

LogicalResult lowerCat(Call &c) {
  SmallVector<Value> inputs = c.tensors("tensors");
  int64_t dim = c.integer("dim", 0);
  if (inputs.empty() || c.badArgument)
    return failure();
  if (inputs.size() == 1) {
    c.results = {inputs[0]};
    return success();
  }
  if (!c.validDim(dim, inputs[0]))
    return c.error() << "dim " << dim << " out of range";
  dim = normalizeDim(dim, Call::rankOf(inputs[0]));
  for (Value x : inputs) {
    Shape a = Call::shapeOf(x), first = Call::shapeOf(inputs[0]);
    if (a.size() != first.size() ||
        cast<RankedTensorType>(x.getType()).getElementType() !=
            cast<RankedTensorType>(inputs[0].getType()).getElementType())
      return c.error() << "cat of tensors of different ranks or dtypes";
    a[dim] = first[dim];
    if (a != first)
      return c.error() << "cat of tensors whose other dimensions differ";
  }
  c.results = {
      nn::ConcatOp::create(c.b, c.loc, inputs, c.b.getI64IntegerAttr(dim))};
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and losses
//===----------------------------------------------------------------------===//

template <typename OpTy> LogicalResult lowerReduce(Call &c) {
  Value self = c.tensor("self");
  Shape dims = c.integers("dim", Shape{});
  bool keepdim = c.flag("keepdim", false);
  if (!self || c.badArgument)
    return failure();
  if (c.has("dtype"))
    return c.error() << "a reduction with a dtype is not supported";
  if (dims.empty()) {
    dims.resize(Call::rankOf(self));
    std::iota(dims.begin(), dims.end(), 0);
  }
  for (int64_t d : dims)
    if (!c.validDim(d, self))
      return c.error() << "dim " << d << " out of range for " << self.getType();
  c.results = {c.reduce<OpTy>(self, dims, keepdim)};
  return success();
}

/// ATen's loss reductions.
enum Reduction : int64_t { ReduceNone = 0, ReduceMean = 1, ReduceSum = 2 };

LogicalResult lowerMseLoss(Call &c) {
  Value self = c.tensor("self"), target = c.tensor("target");
  int64_t reduction = c.integer("reduction", ReduceMean);
  if (!self || !target || c.badArgument)
    return failure();
  if (reduction != ReduceMean && reduction != ReduceSum)
    return c.error() << "mse_loss supports reduction 'mean' or 'sum'";
  Value d = c.binary<nn::SubOp>(self, target);
  if (!d)
    return failure();
  Value sq = nn::MulOp::create(c.b, c.loc, d, d);
  Shape all(Call::rankOf(sq));
  std::iota(all.begin(), all.end(), 0);
  c.results = {reduction == ReduceMean ? c.reduce<nn::MeanOp>(sq, all, false)
                                       : c.reduce<nn::SumOp>(sq, all, false)};
  return success();
}

bool isIndexTensor(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType().isInteger(64);
}

/// Class-index targets, the mean over rows. Logits of rank > 2 are PyTorch's
/// [N, C, d1, ...] with [N, d1, ...] labels: the classes are moved last and
/// every position is a row.
LogicalResult lowerCrossEntropy(Call &c) {
  Value logits = c.tensor("self"), labels = c.tensor("target");
  int64_t reduction = c.integer("reduction", ReduceMean);
  int64_t ignoreIndex = c.integer("ignore_index", -100);
  double smoothing = c.number("label_smoothing", 0.0);
  if (!logits || !labels || c.badArgument)
    return failure();
  if (c.hasOperand("weight") || reduction != ReduceMean || smoothing != 0.0)
    return c.error() << "cross_entropy supports class-index targets with the "
                        "default weight, reduction and label_smoothing";
  if (!isIndexTensor(labels))
    return c.error() << "cross_entropy labels must be class indices (an "
                        "integer tensor)";
  Shape ls = Call::shapeOf(logits), ts = Call::shapeOf(labels);
  if (ls.size() > 2) {
    Shape positions(ls.begin() + 2, ls.end());
    positions.insert(positions.begin(), ls[0]);
    if (ts != positions)
      return c.error() << "cross_entropy of " << logits.getType()
                       << " logits ([N, C, d1, ...]) needs [N, d1, ...] "
                          "labels, got "
                       << labels.getType();
    Shape classesLast{0};
    for (int64_t d = 2; d < int64_t(ls.size()); ++d)
      classesLast.push_back(d);
    classesLast.push_back(1);
    int64_t rows = std::accumulate(ts.begin(), ts.end(), int64_t(1),
                                   std::multiplies<int64_t>());
    logits = c.reshape(c.transpose(logits, classesLast), {rows, ls[1]});
    labels = c.reshape(labels, {rows});
    ls = Call::shapeOf(logits);
    ts = Call::shapeOf(labels);
  }
  if (ls.size() != 2 || ts != Shape{ls[0]})
    return c.error() << "cross_entropy takes [N, C] logits and [N] labels, "
                        "got "
                     << logits.getType() << " and " << labels.getType();
  c.boundIndex(labels, ls[1]);
  c.results = {nn::CrossEntropyOp::create(
      c.b, c.loc, logits, labels,
      ignoreIndex == -100 ? IntegerAttr()
                          : c.b.getI64IntegerAttr(ignoreIndex))};
  return success();
}

LogicalResult lowerEmbedding(Call &c) {
  Value table = c.tensor("weight"), ids = c.tensor("indices");
  int64_t paddingIdx = c.integer("padding_idx", -1);
  bool scaleGrad = c.flag("scale_grad_by_freq", false);
  bool sparse = c.flag("sparse", false);
  if (!table || !ids || c.badArgument)
    return failure();
  if (paddingIdx != -1 || scaleGrad || sparse)
    return c.error() << "embedding with padding_idx, scale_grad_by_freq or "
                        "sparse is not supported";
  if (!isIndexTensor(ids))
    return c.error() << "embedding indices must be integer tensors";
  if (Call::rankOf(table) != 2)
    return c.error() << "the embedding table must be 2-D";
  c.boundIndex(ids, Call::shapeOf(table)[0]);
  c.results = {nn::EmbeddingOp::create(c.b, c.loc, ids, table)};
  return success();
}

//===----------------------------------------------------------------------===//
// Convolutions and masks
//===----------------------------------------------------------------------===//

/// A patch embedding (stride = kernel, no padding) is a linear map of each
/// patch: reshape into patches, then one nn.linear.
LogicalResult lowerConvolution(Call &c) {
  Value x = c.tensor("input"), w = c.tensor("weight");
  Value bias = c.optionalTensor("bias");
  Shape stride = c.integers("stride", Shape{1, 1});
  Shape padding = c.integers("padding", Shape{0, 0});
  Shape dilation = c.integers("dilation", Shape{1, 1});
  int64_t groups = c.integer("groups", 1);
  bool transposed = c.flag("transposed", false);
  if (!x || !w || c.badArgument)
    return failure();
  Shape xs = Call::shapeOf(x), ws = Call::shapeOf(w);
  if (xs.size() != 4 || ws.size() != 4 || stride != Shape{ws[2], ws[3]} ||
      (padding != Shape{0, 0} && padding != Shape{0}) ||
      (dilation != Shape{1, 1} && dilation != Shape{1}) || groups != 1 ||
      transposed || xs[2] % ws[2] || xs[3] % ws[3])
    return c.error() << "only patch-embedding convolutions are supported "
                        "(stride = kernel, no padding, dilation 1, one "
                        "group, image size a multiple of the kernel)";
  int64_t b = xs[0], ch = xs[1], kh = ws[2], kw = ws[3], ph = xs[2] / kh,
          pw = xs[3] / kw;
  Value p = c.reshape(x, {b, ch, ph, kh, pw, kw});
  p = c.transpose(p, {0, 2, 4, 1, 3, 5});
  p = c.reshape(p, {b, ph, pw, ch * kh * kw});
  Value flatW = c.reshape(w, {ws[0], ch * kh * kw});
  Value y = nn::LinearOp::create(c.b, c.loc, p, flatW, bias);
  c.results = {c.transpose(y, {0, 3, 1, 2})};
  return success();
}

/// masked_fill of zeros (an additive attention mask): the mask times the
/// value, broadcast to the base. -inf is a large negative score whose
/// softmax weight underflows to exactly 0, as PyTorch's -inf does.
LogicalResult lowerMaskedFill(Call &c) {
  Value base = c.tensor("self");
  Value mask = c.tensor("mask");
  double value = c.number("value");
  if (!base || !mask || c.badArgument)
    return failure();
  if (!Call::isZeros(base))
    return c.error() << "masked_fill is supported on zeros (additive "
                        "attention masks) only";
  if (std::isinf(value))
    value = value < 0 ? -1e9 : 1e9;
  c.results = {c.broadcastTo(c.scale(mask, value), c.resultType().getShape())};
  return success();
}

/// The one table: each supported torch operator and its lowering.
const llvm::StringMap<Lowering> &loweringTable() {
  static const llvm::StringMap<Lowering> table = {
      {"add", lowerAddSub<nn::AddOp>},
      {"sub", lowerAddSub<nn::SubOp>},
      {"mul", lowerMul},
      {"div", lowerDiv},
      {"neg", lowerNeg},
      {"relu", lowerUnary<nn::ReluOp>},
      {"tanh", lowerUnary<nn::TanhOp>},
      {"gelu", lowerGelu},
      {"dropout", lowerDropout},
      {"matmul", lowerMatmul},
      {"mm", lowerBmm},
      {"bmm", lowerBmm},
      {"baddbmm", lowerBaddbmm},
      {"linear", lowerLinear},
      {"layer_norm", lowerLayerNorm},
      {"softmax", lowerSoftmax},
      {"view", lowerReshape},
      {"reshape", lowerReshape},
      {"flatten", lowerReshape},
      {"unflatten", lowerReshape},
      {"unsqueeze", lowerReshape},
      {"squeeze", lowerReshape},
      {"contiguous", lowerIdentity},
      {"clone", lowerIdentity},
      {"to", lowerConversion},
      {"type_as", lowerConversion},
      {"permute", lowerPermute},
      {"transpose", lowerTranspose},
      {"t", lowerT},
      {"expand", lowerExpand},
      {"broadcast_tensors", lowerBroadcastTensors},
      {"slice", lowerSlice},
      {"select", lowerSelect},
      {"chunk", lowerPieces},
      {"split", lowerPieces},
      {"split_with_sizes", lowerPieces},
      {"unbind", lowerPieces},
      {"cat", lowerCat},
      {"concat", lowerCat},
      {"mean", lowerReduce<nn::MeanOp>},
      {"sum", lowerReduce<nn::SumOp>},
      {"mse_loss", lowerMseLoss},
      {"cross_entropy_loss", lowerCrossEntropy},
      {"embedding", lowerEmbedding},
      {"conv2d", lowerConvolution},
      {"_convolution", lowerConvolution},
      {"masked_fill", lowerMaskedFill},
  };
  return table;
}

LogicalResult lowerCall(aten::CallOp op, ModuleState &state) {
  // A zero base is folded into the call that reads it (masked_fill,
  // baddbmm); it is removed once nothing reads it.
  if (op.getOpName() == "zeros_like") {
    if (op.getNumResults() != 1)
      return op.emitError() << "aten::zeros_like: needs one result";
    return success();
  }
  auto it = loweringTable().find(op.getOpName());
  if (it == loweringTable().end())
    return op.emitError() << "unsupported op aten::" << op.getOpName();
  Call call(op, state);
  if (failed(it->second(call)) || call.badArgument)
    return failure();
  if (call.results.size() != op.getNumResults())
    return call.error() << "lowered to " << call.results.size()
                        << " values for " << op.getNumResults() << " results";
  for (auto [value, result] : llvm::zip(call.results, op.getResults())) {
    if (!value)
      return call.error() << "lowered to no value for a result";
    if (value.getType() != result.getType())
      return call.error() << "lowered to " << value.getType()
                          << " where the frontend recorded "
                          << result.getType();
  }
  op->replaceAllUsesWith(call.results);
  op->erase();
  for (nn::TransposeOp t : call.foldedTransposes)
    if (t->use_empty())
      t->erase();
  return success();
}

struct ConvertATenToNNPass
    : pareprop::impl::ConvertATenToNNBase<ConvertATenToNNPass> {
  void runOnOperation() override {
    SmallVector<aten::CallOp> calls, zeros;
    getOperation().walk([&](aten::CallOp op) {
      (op.getOpName() == "zeros_like" ? zeros : calls).push_back(op);
    });
    ModuleState state;
    bool ok = true;
    for (aten::CallOp op : zeros)
      ok &= succeeded(lowerCall(op, state));
    for (aten::CallOp op : calls)
      ok &= succeeded(lowerCall(op, state));
    if (!ok)
      return signalPassFailure();
    for (aten::CallOp op : zeros) {
      if (!op->use_empty()) {
        op.emitError() << "aten::zeros_like is supported only as the zero "
                          "base of masked_fill or baddbmm";
        return signalPassFailure();
      }
      op->erase();
    }
  }
};

} // namespace

std::vector<std::string> pareprop::supportedTorchOperators() {
  std::vector<std::string> names;
  for (const auto &entry : loweringTable())
    names.push_back(entry.getKey().str());
  names.push_back("zeros_like");
  llvm::sort(names);
  return names;
}
