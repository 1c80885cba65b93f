//===- TorchScriptImporter.cpp - TorchScript -> rev/nn MLIR text ----------===//
//
// Walks the TorchScript graph of a traced or scripted loss module while
// running it on example inputs: every value gets its concrete IValue (so
// sizes, lists and constants are known), and every tensor an MLIR SSA name,
// found by its TensorImpl. Method calls are inlined as they are met, except
// calls of pareprop.nn.ReversibleBlock, which become rev.block ops whose F
// and G are imported into private functions of their own.
//
// This file is compiled with LibTorch (RTTI on) and emits text; it does not
// include MLIR headers (LLVM and MLIR are built without RTTI).
//
//===----------------------------------------------------------------------===//

#include "TorchScriptImporter.h"

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <unordered_map>

namespace pareprop::importer {
namespace {

using Shape = std::vector<int64_t>;
using c10::IValue;
using torch::jit::Node;
using torch::jit::Value;

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// An MLIR tensor value: its SSA name, static shape and element type.
struct Val {
  std::string name;
  Shape shape;
  std::string elem;
  bool zero = false; // zeros_like(...): not emitted, folded into its user.
  int64_t rank() const { return int64_t(shape.size()); }
  std::string type() const {
    std::string t = "tensor<";
    for (int64_t d : shape)
      t += std::to_string(d) + "x";
    return t + elem + ">";
  }
};

std::string elemOf(at::ScalarType t, const std::string &where) {
  switch (t) {
  case at::kFloat:
  case at::kBool: // Masks travel as 0/1 floats.
    return "f32";
  case at::kDouble:
    return "f64";
  case at::kLong:
  case at::kInt:
    return "i64";
  default:
    throw Error(where + ": tensors of " + std::string(c10::toString(t)) +
                " are not supported");
  }
}

std::string fmtFloat(double v) {
  std::ostringstream os;
  os << std::scientific << std::setprecision(17) << v;
  return os.str();
}

std::string fmtInts(const Shape &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

Shape shapeOf(const at::Tensor &t) {
  return Shape(t.sizes().begin(), t.sizes().end());
}

int64_t normDim(int64_t d, int64_t rank) { return d < 0 ? d + rank : d; }

class Importer;

/// One func.func being written.
class Function {
public:
  Function(Importer &importer, std::string path)
      : importer(importer), path(std::move(path)) {}

  Importer &importer;
  std::string path;
  std::vector<std::string> lines;
  std::vector<std::pair<Val, std::string>> args; // value, attributes
  struct Param {
    Val value;
    std::string path;
    at::Tensor tensor;
  };
  std::vector<Param> params;
  std::unordered_map<const c10::TensorImpl *, Val> names;
  bool usesKey = false;
  bool isTop = false; // @loss: parameters are named with rev.param.
  int64_t dropouts = 0, counter = 0;

  Val fresh(Shape shape, std::string elem) {
    return {"%v" + std::to_string(++counter), std::move(shape),
            std::move(elem)};
  }
  Val op(const std::string &text, Shape shape, std::string elem) {
    Val v = fresh(std::move(shape), std::move(elem));
    lines.push_back("  " + v.name + " = " + text);
    return v;
  }
  Val arg(const at::Tensor &t, const std::string &attrs = "") {
    Val v{"%a" + std::to_string(args.size()), shapeOf(t),
          elemOf(t.scalar_type(), path)};
    args.push_back({v, attrs});
    names[t.unsafeGetTensorImpl()] = v;
    return v;
  }
  Val param(const at::Tensor &t, const std::string &paramPath) {
    auto it = names.find(t.unsafeGetTensorImpl());
    if (it != names.end())
      return it->second;
    Val v{"%p" + std::to_string(params.size()), shapeOf(t),
          elemOf(t.scalar_type(), paramPath)};
    params.push_back({v, paramPath, t});
    names[t.unsafeGetTensorImpl()] = v;
    return v;
  }
  /// A buffer or tensor constant: an arith.constant of its bytes at import
  /// time (little-endian), once per function.
  Val constant(at::Tensor t, const std::string &where) {
    auto it = names.find(t.unsafeGetTensorImpl());
    if (it != names.end())
      return it->second;
    const c10::TensorImpl *impl = t.unsafeGetTensorImpl();
    if (t.scalar_type() == at::kBool)
      t = t.to(at::kFloat);
    else if (t.scalar_type() == at::kInt)
      t = t.to(at::kLong);
    t = t.contiguous();
    Val v = fresh(shapeOf(t), elemOf(t.scalar_type(), where));
    static const char *digits = "0123456789ABCDEF";
    std::string hex;
    const auto *bytes = static_cast<const uint8_t *>(t.data_ptr());
    for (size_t i = 0; i < size_t(t.nbytes()); ++i) {
      hex += digits[bytes[i] >> 4];
      hex += digits[bytes[i] & 15];
    }
    lines.push_back("  " + v.name + " = arith.constant dense<\"0x" + hex +
                    "\"> : " + v.type());
    names[impl] = v;
    return v;
  }
  const Val &lookup(const at::Tensor &t, const std::string &where) {
    auto it = names.find(t.unsafeGetTensorImpl());
    if (it == names.end())
      throw Error(where + ": a tensor that is neither an input, a parameter "
                          "nor computed by a supported op (a buffer or a "
                          "constant?)");
    return it->second;
  }

  // nn ops ------------------------------------------------------------------

  Val binary(const std::string &name, const Val &a, const Val &b) {
    Shape out;
    int64_t n = std::max(a.rank(), b.rank());
    for (int64_t i = 1; i <= n; ++i) {
      int64_t x = i <= a.rank() ? a.shape[a.rank() - i] : 1;
      int64_t y = i <= b.rank() ? b.shape[b.rank() - i] : 1;
      if (x != y && x != 1 && y != 1)
        throw Error(path + ": shapes do not broadcast");
      out.insert(out.begin(), std::max(x, y));
    }
    return op("nn." + name + " " + a.name + ", " + b.name + " : " + a.type() +
                  ", " + b.type(),
              out, a.elem);
  }
  Val scale(const Val &a, double f) {
    if (f == 1.0)
      return a;
    return op("nn.scale " + a.name + " by " + fmtFloat(f) + " : " + a.type(),
              a.shape, a.elem);
  }
  Val unary(const std::string &name, const Val &a,
            const std::string &attrs = "") {
    return op("nn." + name + " " + a.name + attrs + " : " + a.type(), a.shape,
              a.elem);
  }
  Val reshape(const Val &a, const Shape &shape) {
    if (shape == a.shape)
      return a;
    Val r{"", shape, a.elem};
    return op("nn.reshape " + a.name + " : " + a.type() + " -> " + r.type(),
              shape, a.elem);
  }
  Val transpose(const Val &a, Shape perm) {
    Shape identity(a.rank());
    std::iota(identity.begin(), identity.end(), 0);
    for (int64_t &p : perm)
      p = normDim(p, a.rank());
    if (perm == identity)
      return a;
    Shape shape;
    for (int64_t p : perm)
      shape.push_back(a.shape[p]);
    return op("nn.transpose " + a.name + " perm " + fmtInts(perm) + " : " +
                  a.type(),
              shape, a.elem);
  }
  Val swap(const Val &a, int64_t d0, int64_t d1) {
    Shape perm(a.rank());
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[normDim(d0, a.rank())], perm[normDim(d1, a.rank())]);
    return transpose(a, perm);
  }
  Val matmul(const Val &a, const Val &b) {
    if (a.rank() < 2 || b.rank() < 2)
      throw Error(path + ": matmul of a vector is not supported");
    if (b.rank() == 2 && a.rank() > 2) {
      int64_t rows = 1;
      for (int64_t i = 0; i + 1 < a.rank(); ++i)
        rows *= a.shape[i];
      Val out = matmul(reshape(a, {rows, a.shape.back()}), b);
      Shape shape(a.shape.begin(), a.shape.end() - 1);
      shape.push_back(b.shape.back());
      return reshape(out, shape);
    }
    if (a.rank() != b.rank() ||
        !std::equal(a.shape.begin(), a.shape.end() - 2, b.shape.begin()))
      throw Error(path + ": matmul batch dimensions must match");
    Shape shape(a.shape.begin(), a.shape.end() - 1);
    shape.push_back(b.shape.back());
    return op("nn.matmul " + a.name + ", " + b.name + " : " + a.type() + ", " +
                  b.type(),
              shape, a.elem);
  }
  Val linear(const Val &x, const Val &w, const Val *b) {
    Shape shape(x.shape.begin(), x.shape.end() - 1);
    shape.push_back(w.shape[0]);
    if (!b)
      return op("nn.linear " + x.name + ", " + w.name + " : " + x.type() +
                    ", " + w.type(),
                shape, x.elem);
    return op("nn.linear " + x.name + ", " + w.name + ", " + b->name + " : " +
                  x.type() + ", " + w.type() + ", " + b->type(),
              shape, x.elem);
  }
  Val layerNorm(const Val &x, const Val &g, const Val &b, double eps) {
    Val v = fresh(x.shape, x.elem);
    Shape rows(x.shape.begin(), x.shape.end() - 1);
    Val m = fresh(rows, x.elem), r = fresh(rows, x.elem);
    lines.push_back("  " + v.name + ", " + m.name + ", " + r.name +
                    " = nn.layer_norm " + x.name + ", " + g.name + ", " +
                    b.name + " {epsilon = " + fmtFloat(eps) +
                    " : f64} : " + x.type() + ", " + g.type());
    return v;
  }
  Val softmax(const Val &x, int64_t dim) {
    dim = normDim(dim, x.rank());
    if (dim != x.rank() - 1)
      return swap(softmax(swap(x, dim, -1), -1), dim, -1);
    return op("nn.softmax " + x.name + " dim " + std::to_string(dim) + " : " +
                  x.type(),
              x.shape, x.elem);
  }
  Val dropout(const Val &x, double rate) {
    if (rate == 0.0)
      return x;
    usesKey = true;
    return op("nn.dropout " + x.name +
                  ", %key {id = " + std::to_string(dropouts++) +
                  " : i64, rate = " + fmtFloat(rate) + " : f64} : " + x.type(),
              x.shape, x.elem);
  }
  Val reduce(const std::string &name, const Val &x, Shape dims, bool keepdim) {
    for (int64_t &d : dims)
      d = normDim(d, x.rank());
    std::sort(dims.begin(), dims.end());
    dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
    Shape shape, kept;
    for (int64_t i = 0; i < x.rank(); ++i) {
      bool reduced = std::count(dims.begin(), dims.end(), i);
      if (!reduced)
        shape.push_back(x.shape[i]);
      kept.push_back(reduced ? 1 : x.shape[i]);
    }
    Val out = op("nn." + name + " " + x.name + " dims " + fmtInts(dims) +
                     " : " + x.type(),
                 shape, x.elem);
    return keepdim ? reshape(out, kept) : out;
  }
  Val slice(const Val &x, const Shape &offsets, const Shape &sizes) {
    if (sizes == x.shape)
      return x;
    return op("nn.slice " + x.name + " offsets " + fmtInts(offsets) +
                  " sizes " + fmtInts(sizes) + " : " + x.type(),
              sizes, x.elem);
  }
  Val sliceDim(const Val &x, int64_t dim, int64_t start, int64_t size) {
    Shape offsets(x.rank(), 0), sizes = x.shape;
    offsets[dim] = start;
    sizes[dim] = size;
    return slice(x, offsets, sizes);
  }
  Val concat(const std::vector<Val> &xs, int64_t dim) {
    if (xs.size() == 1)
      return xs[0];
    dim = normDim(dim, xs[0].rank());
    Shape shape = xs[0].shape;
    shape[dim] = 0;
    std::string names, types;
    for (const Val &x : xs) {
      shape[dim] += x.shape[dim];
      names += (names.empty() ? "" : ", ") + x.name;
      types += (types.empty() ? "" : ", ") + x.type();
    }
    return op("nn.concat " + names + " dim " + std::to_string(dim) + " : " +
                  types,
              shape, xs[0].elem);
  }
  Val broadcastTo(const Val &x, const Shape &target) {
    // Drop the dimensions that grow, then insert them at full size.
    Shape kept, inserted;
    int64_t lead = int64_t(target.size()) - x.rank();
    for (int64_t i = 0; i < int64_t(target.size()); ++i) {
      int64_t src = i - lead;
      if (src < 0 || (x.shape[src] == 1 && target[i] != 1))
        inserted.push_back(i);
      else
        kept.push_back(target[i]);
    }
    if (inserted.empty())
      return x;
    Val base = reshape(x, kept);
    Val r{"", target, x.elem};
    return op("nn.broadcast " + base.name + " dims " + fmtInts(inserted) +
                  " : " + base.type() + " -> " + r.type(),
              target, x.elem);
  }

  std::string signature() const {
    std::string s;
    auto add = [&](const std::string &part) {
      s += (s.empty() ? "" : ", ") + part;
    };
    for (const auto &[v, attrs] : args)
      add(v.name + ": " + v.type() + (attrs.empty() ? "" : " {" + attrs + "}"));
    for (const Param &p : params)
      add(p.value.name + ": " + p.value.type() +
          (isTop ? " {rev.param = \"" + p.path + "\"}" : ""));
    if (usesKey)
      add("%key: i64");
    return s;
  }
};

/// How a ReversibleBlock's forward uses its arguments.
struct BlockPlan {
  size_t x1 = 0, x2 = 0;       // Argument positions (without self).
  std::vector<size_t> context; // Further arguments of f and g.
  size_t y1Output = 0, y2Output = 1;
};

class Importer {
public:
  explicit Importer(torch::jit::Module root) : root(std::move(root)) {}

  std::string run(const std::vector<at::Tensor> &inputs);

  std::map<const c10::ivalue::Object *, std::string> paths;
  std::map<std::string, std::string> bodies; // text -> function name
  std::vector<std::string> functions;
  int64_t salts = 0;
  Function *top = nullptr;

  std::vector<IValue> translate(Function &fn, torch::jit::Graph &graph,
                                std::vector<IValue> inputs);

private:
  torch::jit::Module root;

  void node(Function &fn, Node *n,
            std::unordered_map<const Value *, IValue> &env);
  std::vector<IValue> callMethod(Function &fn, Node *n,
                                 std::vector<IValue> inputs);
  std::vector<IValue> block(Function &fn,
                            const c10::intrusive_ptr<c10::ivalue::Object> &obj,
                            std::vector<IValue> args);
  std::string subfunction(const c10::intrusive_ptr<c10::ivalue::Object> &obj,
                          const std::string &tag,
                          const std::vector<at::Tensor> &inputs,
                          std::vector<Val> &callOperands);
  void emit(Function &fn, Node *n, const std::vector<IValue> &ins,
            std::vector<IValue> &outs, const std::string &where);
};

bool isBlock(const c10::ivalue::Object &obj) {
  const std::string name = obj.type()->name()->qualifiedName();
  // Traced copies are mangled: __torch__.pareprop.nn.___torch_mangle_N.X.
  const std::string suffix = ".ReversibleBlock";
  return name.rfind("__torch__.pareprop.nn.", 0) == 0 &&
         name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string describe(Node *n) { return std::string(n->kind().toQualString()); }

// A forward graph of ReversibleBlock: x1 + f(x2, ...), x2 + g(y1, ...).
BlockPlan planBlock(torch::jit::Graph &g, const std::string &where) {
  auto fail = [&]() -> BlockPlan {
    throw Error(where + ": the ReversibleBlock's graph does not have the "
                        "form y1 = x1 + f(x2), y2 = x2 + g(y1)");
  };
  Value *self = g.inputs()[0];
  auto callOn = [&](const char *attr) -> Node * {
    for (Node *n : g.nodes())
      if (n->kind() == c10::prim::CallMethod &&
          n->input(0)->node()->kind() == c10::prim::GetAttr &&
          n->input(0)->node()->input(0) == self &&
          n->input(0)->node()->s(c10::attr::name) == attr)
        return n;
    return nullptr;
  };
  auto argIndex = [&](Value *v) -> int64_t {
    for (size_t i = 1; i < g.inputs().size(); ++i)
      if (g.inputs()[i] == v)
        return int64_t(i - 1);
    return -1;
  };
  auto addWith = [&](Value *v) -> std::pair<Node *, Value *> {
    for (const torch::jit::Use &u : v->uses())
      if (u.user->kind() == c10::aten::add) {
        Value *other = u.user->input(u.offset == 0 ? 1 : 0);
        return {u.user, other};
      }
    return {nullptr, nullptr};
  };
  Node *f = callOn("f"), *gcall = callOn("g");
  if (!f || !gcall || f->inputs().size() < 2)
    return fail();
  BlockPlan plan;
  int64_t x2 = argIndex(f->input(1));
  auto [addF, x1v] = addWith(f->output());
  int64_t x1 = x1v ? argIndex(x1v) : -1;
  if (x2 < 0 || x1 < 0 || gcall->input(1) != addF->output())
    return fail();
  auto [addG, x2v] = addWith(gcall->output());
  if (!addG || argIndex(x2v) != x2)
    return fail();
  plan.x1 = size_t(x1);
  plan.x2 = size_t(x2);
  for (size_t i = 2; i < f->inputs().size(); ++i) {
    int64_t c = argIndex(f->input(i));
    if (c < 0)
      return fail();
    plan.context.push_back(size_t(c));
  }
  Node *ret = g.outputs()[0]->node();
  if (ret->kind() != c10::prim::TupleConstruct || ret->inputs().size() != 2)
    return fail();
  plan.y1Output = ret->input(0) == addF->output() ? 0 : 1;
  plan.y2Output = 1 - plan.y1Output;
  if (ret->input(plan.y2Output) != addG->output())
    return fail();
  return plan;
}

std::vector<IValue> Importer::translate(Function &fn, torch::jit::Graph &graph,
                                        std::vector<IValue> inputs) {
  std::unordered_map<const Value *, IValue> env;
  for (size_t i = 0; i < graph.inputs().size(); ++i)
    env[graph.inputs()[i]] = inputs.at(i);
  for (Node *n : graph.nodes())
    node(fn, n, env);
  std::vector<IValue> outs;
  for (Value *v : graph.outputs())
    outs.push_back(env.at(v));
  return outs;
}

void Importer::node(Function &fn, Node *n,
                    std::unordered_map<const Value *, IValue> &env) {
  std::vector<IValue> ins;
  for (Value *v : n->inputs())
    ins.push_back(env.at(v));
  std::vector<IValue> outs;
  if (n->kind() == c10::prim::Constant) {
    outs.push_back(torch::jit::toIValue(n->output()).value());
  } else if (n->kind() == c10::prim::GetAttr) {
    auto obj = ins[0].toObject();
    const std::string &name = n->s(c10::attr::name);
    IValue value = obj->getAttr(name);
    std::string path = paths[obj.get()];
    path = path.empty() ? name : path + "." + name;
    if (value.isObject())
      paths[value.toObject().get()] = path;
    else if (value.isTensor()) {
      auto slot = obj->type()->findAttributeSlot(name);
      if (slot && obj->type()->is_parameter(*slot))
        fn.param(value.toTensor(), path);
      else // A buffer: its value now.
        fn.constant(value.toTensor(), path);
    }
    outs.push_back(value);
  } else if (n->kind() == c10::prim::CallMethod) {
    outs = callMethod(fn, n, ins);
  } else if (n->kind() == c10::prim::TupleConstruct) {
    outs.push_back(c10::ivalue::Tuple::create(ins));
  } else if (n->kind() == c10::prim::TupleUnpack) {
    const auto &elems = ins[0].toTupleRef().elements();
    outs.assign(elems.begin(), elems.end());
  } else if (n->kind() == c10::prim::TupleIndex) {
    outs.push_back(ins[0].toTupleRef().elements().at(ins[1].toInt()));
  } else if (n->kind() == c10::prim::ListConstruct) {
    // The interpreter builds lists itself: they have no operator.
    c10::impl::GenericList list(
        n->output()->type()->expectRef<c10::ListType>().getElementType());
    for (const IValue &v : ins)
      list.push_back(v);
    outs.push_back(IValue(list));
  } else if (n->kind() == c10::prim::ListUnpack) {
    auto elems = ins[0].toListRef();
    outs.assign(elems.begin(), elems.end());
  } else {
    torch::jit::Stack stack(ins.begin(), ins.end());
    n->getOperation()(stack);
    outs.assign(stack.end() - int64_t(n->outputs().size()), stack.end());
    std::string where =
        (fn.path.empty() ? "<top>" : fn.path) + " (" + describe(n) + ")";
    emit(fn, n, ins, outs, where);
  }
  for (size_t i = 0; i < n->outputs().size(); ++i)
    env[n->outputs()[i]] = outs.at(i);
}

std::vector<IValue> Importer::callMethod(Function &fn, Node *n,
                                         std::vector<IValue> inputs) {
  auto obj = inputs[0].toObject();
  const std::string &name = n->s(c10::attr::name);
  if (isBlock(*obj) && name == "forward") {
    if (&fn != top)
      throw Error(paths[obj.get()] + ": a ReversibleBlock inside F or G of "
                                     "another is not supported");
    return block(fn, obj, {inputs.begin() + 1, inputs.end()});
  }
  torch::jit::Function &method = obj->type()->getMethod(name);
  auto graph = torch::jit::toGraphFunction(method).graph();
  return translate(fn, *graph, inputs);
}

std::string Importer::subfunction(
    const c10::intrusive_ptr<c10::ivalue::Object> &obj, const std::string &tag,
    const std::vector<at::Tensor> &inputs, std::vector<Val> &callOperands) {
  std::string path = paths[obj.get()];
  Function fn(*this, path);
  std::vector<IValue> args{obj};
  for (const at::Tensor &t : inputs) {
    fn.arg(t);
    args.push_back(t);
  }
  auto graph =
      torch::jit::toGraphFunction(obj->type()->getMethod("forward")).graph();
  std::vector<IValue> outs = translate(fn, *graph, args);
  if (outs.size() != 1 || !outs[0].isTensor())
    throw Error(path + ": must return one tensor");
  const Val &result = fn.lookup(outs[0].toTensor(), path);
  if (result.shape != shapeOf(inputs[0]))
    throw Error(path + ": must return a tensor of its input's shape");
  std::string body;
  for (const std::string &l : fn.lines)
    body += l + "\n";
  body += "  return " + result.name + " : " + result.type() + "\n";
  std::string text =
      "(" + fn.signature() + ") -> " + result.type() + " {\n" + body + "}";
  auto [it, inserted] =
      bodies.emplace(text, tag + std::to_string(bodies.size()));
  if (inserted)
    functions.push_back("func.func private @" + it->second + text);
  for (const Function::Param &p : fn.params)
    callOperands.push_back(top->param(p.tensor, p.path));
  if (fn.usesKey) {
    top->usesKey = true;
    callOperands.push_back(
        top->op("nn.fold_key %key, " + std::to_string(salts++), {}, "i64"));
  }
  return it->second;
}

std::vector<IValue>
Importer::block(Function &fn,
                const c10::intrusive_ptr<c10::ivalue::Object> &obj,
                std::vector<IValue> args) {
  std::string path = paths[obj.get()];
  auto graph =
      torch::jit::toGraphFunction(obj->type()->getMethod("forward")).graph();
  BlockPlan plan = planBlock(*graph, path);
  auto tensorArg = [&](size_t i) {
    if (i >= args.size() || !args[i].isTensor())
      throw Error(path + ": block arguments must be tensors");
    return args[i].toTensor();
  };
  at::Tensor x1 = tensorArg(plan.x1), x2 = tensorArg(plan.x2);
  std::vector<at::Tensor> context;
  for (size_t c : plan.context)
    context.push_back(tensorArg(c));
  // The block's results, by running it.
  torch::jit::Stack stack{obj};
  stack.insert(stack.end(), args.begin(), args.end());
  obj->type()->getMethod("forward").run(stack);
  auto results = stack.back().toTuple()->elements();
  at::Tensor y1 = results[plan.y1Output].toTensor(),
             y2 = results[plan.y2Output].toTensor();

  Val vx1 = fn.lookup(x1, path), vx2 = fn.lookup(x2, path);
  std::vector<Val> ctx;
  for (const at::Tensor &c : context)
    ctx.push_back(fn.lookup(c, path));
  std::string operands[2];
  const char *tags[2] = {"F", "G"};
  const char *attrs[2] = {"f", "g"};
  for (int k = 0; k < 2; ++k) {
    auto sub = obj->getAttr(attrs[k]).toObject();
    paths[sub.get()] = path + "." + attrs[k];
    std::vector<at::Tensor> inputs{k == 0 ? x2 : y1};
    inputs.insert(inputs.end(), context.begin(), context.end());
    std::vector<Val> call(ctx);
    std::string name = subfunction(sub, tags[k], inputs, call);
    std::string vals, types;
    for (const Val &v : call) {
      vals += (vals.empty() ? "" : ", ") + v.name;
      types +=
          (types.empty() ? "" : ", ") +
          (v.shape.empty() && v.elem == "i64" ? std::string("i64") : v.type());
    }
    operands[k] =
        "@" + name + "(" + (call.empty() ? "" : vals + " : " + types) + ")";
  }
  if (vx1.elem != vx2.elem || (vx1.elem != "f32" && vx1.elem != "f64"))
    throw Error(path + ": ReversibleBlock inputs must be float tensors of one "
                       "dtype");
  Val vy1 = fn.fresh(vx1.shape, vx1.elem), vy2 = fn.fresh(vx2.shape, vx2.elem);
  fn.lines.push_back("  " + vy1.name + ", " + vy2.name + " = rev.block(" +
                     vx1.name + ", " + vx2.name + ") f " + operands[0] + " g " +
                     operands[1] + " : " + vx1.type() + ", " + vx2.type());
  fn.names[y1.unsafeGetTensorImpl()] = vy1;
  fn.names[y2.unsafeGetTensorImpl()] = vy2;
  return {stack.back()};
}

//===----------------------------------------------------------------------===//
// aten ops
//===----------------------------------------------------------------------===//

bool holdsTensor(const IValue &v) {
  if (v.isTensor())
    return true;
  if (v.isTensorList())
    return true;
  if (v.isList()) {
    for (const IValue &e : v.toListRef())
      if (holdsTensor(e))
        return true;
    return false;
  }
  if (v.isTuple()) {
    for (const IValue &e : v.toTupleRef().elements())
      if (holdsTensor(e))
        return true;
  }
  return false;
}

double toDouble(const IValue &v) {
  if (v.isDouble())
    return v.toDouble();
  if (v.isInt())
    return double(v.toInt());
  if (v.isTensor())
    return v.toTensor().item<double>();
  throw Error("expected a number");
}

Shape toInts(const IValue &v) {
  if (v.isInt())
    return {v.toInt()};
  return v.toIntVector();
}

void Importer::emit(Function &fn, Node *n, const std::vector<IValue> &ins,
                    std::vector<IValue> &outs, const std::string &where) {
  bool producesTensors = false;
  for (const IValue &o : outs)
    producesTensors |= holdsTensor(o);
  std::string kind = n->kind().toQualString();
  // A list element keeps its TensorImpl, hence its name; a number wrapped
  // in a tensor is a size, not a model value.
  if (!producesTensors || kind == "aten::__getitem__" ||
      kind == "prim::NumToTensor")
    return;
  // Arithmetic on sizes (traced as 0-d tensors: `q / math.sqrt(E)`) only
  // makes constants: an op none of whose tensors is a model value is run,
  // not emitted.
  std::function<bool(const IValue &)> known = [&](const IValue &v) {
    if (v.isTensor())
      return fn.names.count(v.toTensor().unsafeGetTensorImpl()) > 0;
    if (v.isList()) {
      for (const IValue &e : v.toListRef())
        if (known(e))
          return true;
    }
    return false;
  };
  if (std::none_of(ins.begin(), ins.end(), known))
    return;
  auto T = [&](size_t i) -> Val {
    if (!ins.at(i).isTensor())
      throw Error(where + ": operand " + std::to_string(i) +
                  " is not a tensor");
    return fn.lookup(ins[i].toTensor(), where);
  };
  auto bind = [&](const IValue &out, const Val &v) {
    fn.names[out.toTensor().unsafeGetTensorImpl()] = v;
  };
  auto outShape = [&](size_t i = 0) { return shapeOf(outs.at(i).toTensor()); };
  const Val *none = nullptr;

  if (kind == "aten::broadcast_tensors") {
    auto list = outs[0].toTensorVector();
    auto srcs = ins[0].toTensorVector();
    for (size_t i = 0; i < list.size(); ++i)
      bind(IValue(list[i]),
           fn.broadcastTo(fn.lookup(srcs[i], where), shapeOf(list[i])));
    return;
  }
  if (kind == "aten::linear") {
    Val x = T(0), w = T(1);
    if (ins[2].isNone())
      return bind(outs[0], fn.linear(x, w, none));
    Val b = T(2);
    return bind(outs[0], fn.linear(x, w, &b));
  }
  if (kind == "aten::layer_norm") {
    Val x = T(0);
    if (toInts(ins[1]) != Shape{x.shape.back()} || ins[2].isNone() ||
        ins[3].isNone())
      throw Error(where + ": layer_norm must normalize the last dimension "
                          "with weight and bias");
    return bind(outs[0], fn.layerNorm(x, T(2), T(3), toDouble(ins[4])));
  }
  if (kind == "aten::gelu") {
    std::string approx = ins.size() > 1 ? ins[1].toStringRef() : "none";
    return bind(outs[0], fn.unary("gelu", T(0),
                                  approx == "none"
                                      ? ""
                                      : " {approximate = \"" + approx + "\"}"));
  }
  if (kind == "aten::relu" || kind == "aten::tanh")
    return bind(outs[0], fn.unary(kind.substr(6), T(0)));
  if (kind == "aten::softmax")
    return bind(outs[0], fn.softmax(T(0), ins[1].toInt()));
  if (kind == "aten::dropout" || kind == "aten::feature_dropout") {
    Val x = T(0);
    return bind(outs[0], ins[2].toBool() ? fn.dropout(x, toDouble(ins[1])) : x);
  }
  if (kind == "aten::matmul" || kind == "aten::bmm")
    return bind(outs[0], fn.matmul(T(0), T(1)));
  if (kind == "aten::baddbmm") {
    Val prod = fn.scale(fn.matmul(T(1), T(2)), toDouble(ins[4]));
    Val in = T(0);
    if (in.zero)
      return bind(outs[0], prod);
    return bind(outs[0],
                fn.binary("add", fn.scale(in, toDouble(ins[3])), prod));
  }
  if (kind == "aten::add" || kind == "aten::sub" || kind == "aten::mul" ||
      kind == "aten::div") {
    std::string op = kind.substr(6);
    bool tensors = ins[0].isTensor() && ins[1].isTensor() &&
                   fn.names.count(ins[1].toTensor().unsafeGetTensorImpl());
    if ((op == "add" || op == "sub") && toDouble(ins.at(2)) != 1.0)
      throw Error(where + ": alpha is not supported");
    if (tensors) {
      Val a = T(0), b = T(1);
      if (op == "div")
        throw Error(where + ": division by a tensor is not supported");
      return bind(outs[0], fn.binary(op, a, b));
    }
    double s = toDouble(ins[1]);
    if (op == "mul")
      return bind(outs[0], fn.scale(T(0), s));
    if (op == "div")
      return bind(outs[0], fn.scale(T(0), 1.0 / s));
    throw Error(where + ": adding a number to a tensor is not supported");
  }
  if (kind == "aten::neg")
    return bind(outs[0], fn.scale(T(0), -1.0));
  if (kind == "aten::view" || kind == "aten::reshape" ||
      kind == "aten::flatten" || kind == "aten::unsqueeze" ||
      kind == "aten::squeeze" || kind == "aten::unflatten")
    return bind(outs[0], fn.reshape(T(0), outShape()));
  if (kind == "aten::contiguous" || kind == "aten::clone")
    return bind(outs[0], T(0));
  if (kind == "aten::to" || kind == "aten::type_as") {
    Val x = T(0);
    if (elemOf(outs[0].toTensor().scalar_type(), where) != x.elem)
      throw Error(where + ": dtype conversions are not supported");
    return bind(outs[0], x);
  }
  if (kind == "aten::permute")
    return bind(outs[0], fn.transpose(T(0), toInts(ins[1])));
  if (kind == "aten::transpose")
    return bind(outs[0], fn.swap(T(0), ins[1].toInt(), ins[2].toInt()));
  if (kind == "aten::t")
    return bind(outs[0], fn.swap(T(0), 0, 1));
  if (kind == "aten::expand")
    return bind(outs[0], fn.broadcastTo(T(0), outShape()));
  if (kind == "aten::slice") {
    Val x = T(0);
    int64_t dim = normDim(ins[1].toInt(), x.rank()), n = x.shape[dim];
    int64_t start = ins[2].isNone() ? 0 : ins[2].toInt();
    int64_t end = ins[3].isNone() ? n : ins[3].toInt();
    if (ins[4].toInt() != 1)
      throw Error(where + ": slices with a step are not supported");
    start = std::clamp(start < 0 ? start + n : start, int64_t(0), n);
    end = std::clamp(end < 0 ? end + n : end, int64_t(0), n);
    return bind(outs[0], fn.sliceDim(x, dim, start, end - start));
  }
  if (kind == "aten::select") {
    Val x = T(0);
    int64_t dim = normDim(ins[1].toInt(), x.rank());
    int64_t index = ins[2].toInt();
    index = index < 0 ? index + x.shape[dim] : index;
    return bind(outs[0], fn.reshape(fn.sliceDim(x, dim, index, 1), outShape()));
  }
  if (kind == "aten::chunk" || kind == "aten::split" ||
      kind == "aten::unbind" || kind == "aten::split_with_sizes") {
    Val x = T(0);
    int64_t dim = normDim(
        kind == "aten::unbind" ? ins[1].toInt() : ins[2].toInt(), x.rank());
    auto pieces = outs[0].toTensorVector();
    int64_t start = 0;
    for (const at::Tensor &p : pieces) {
      int64_t size = p.size(kind == "aten::unbind" ? 0 : dim);
      if (kind == "aten::unbind")
        size = 1;
      bind(IValue(p), fn.reshape(fn.sliceDim(x, dim, start, size), shapeOf(p)));
      start += size;
    }
    return;
  }
  if (kind == "aten::cat" || kind == "aten::concat") {
    std::vector<Val> xs;
    for (const at::Tensor &t : ins[0].toTensorVector())
      xs.push_back(fn.lookup(t, where));
    return bind(outs[0], fn.concat(xs, ins[1].toInt()));
  }
  if (kind == "aten::mean" || kind == "aten::sum") {
    Val x = T(0);
    Shape dims;
    bool keepdim = false;
    if (ins.size() >= 3 && !ins[1].isNone()) {
      dims = toInts(ins[1]);
      keepdim = ins[2].toBool();
    }
    if (dims.empty())
      for (int64_t i = 0; i < x.rank(); ++i)
        dims.push_back(i);
    return bind(outs[0], fn.reduce(kind.substr(6), x, dims, keepdim));
  }
  if (kind == "aten::embedding") {
    Val table = T(0), ids = T(1);
    if (ins[2].toInt() != -1)
      throw Error(where + ": embedding with padding_idx is not supported");
    return bind(outs[0], fn.op("nn.embedding " + ids.name + ", " + table.name +
                                   " : " + ids.type() + ", " + table.type(),
                               outShape(), table.elem));
  }
  if (kind == "aten::_convolution" || kind == "aten::conv2d") {
    Val x = T(0), w = T(1);
    Shape stride = toInts(ins[3]), padding = toInts(ins[4]),
          dilation = toInts(ins[5]);
    int64_t groups = kind == "aten::conv2d" ? ins[6].toInt() : ins[8].toInt();
    int64_t kh = w.shape[2], kw = w.shape[3];
    if (x.rank() != 4 || stride != Shape{kh, kw} || padding != Shape{0, 0} ||
        dilation != Shape{1, 1} || groups != 1 ||
        (kind == "aten::_convolution" && ins[6].toBool()))
      throw Error(where + ": only patch-embedding convolutions are supported "
                          "(stride = kernel, no padding)");
    int64_t b = x.shape[0], c = x.shape[1], ph = x.shape[2] / kh,
            pw = x.shape[3] / kw;
    Val p = fn.reshape(x, {b, c, ph, kh, pw, kw});
    p = fn.transpose(p, {0, 2, 4, 1, 3, 5});
    p = fn.reshape(p, {b, ph, pw, c * kh * kw});
    Val wf = fn.reshape(w, {w.shape[0], c * kh * kw});
    Val y = ins[2].isNone() ? fn.linear(p, wf, none) : [&] {
      Val bias = T(2);
      return fn.linear(p, wf, &bias);
    }();
    return bind(outs[0], fn.transpose(y, {0, 3, 1, 2}));
  }
  if (kind == "aten::cross_entropy_loss") {
    Val logits = T(0), labels = T(1);
    if (!ins[2].isNone() || ins[3].toInt() != 1 ||
        (ins.size() > 5 && toDouble(ins[5]) != 0.0))
      throw Error(where + ": cross_entropy supports class indices with the "
                          "default weight, reduction and label_smoothing");
    // aten::cross_entropy_loss(self, target, weight, reduction,
    // ignore_index, label_smoothing).
    int64_t ignoreIndex = ins.size() > 4 ? ins[4].toInt() : -100;
    std::string attrs =
        ignoreIndex == -100
            ? ""
            : " {ignore_index = " + std::to_string(ignoreIndex) + " : i64}";
    return bind(outs[0],
                fn.op("nn.cross_entropy " + logits.name + ", " + labels.name +
                          attrs + " : " + logits.type() + ", " + labels.type(),
                      {}, logits.elem));
  }
  if (kind == "aten::mse_loss") {
    Val d = fn.binary("sub", T(0), T(1));
    Val sq = fn.binary("mul", d, d);
    int64_t reduction = ins[2].toInt();
    if (reduction == 0)
      throw Error(where + ": mse_loss needs reduction 'mean' or 'sum'");
    Shape all(sq.rank());
    std::iota(all.begin(), all.end(), 0);
    return bind(outs[0],
                fn.reduce(reduction == 1 ? "mean" : "sum", sq, all, false));
  }
  if (kind == "aten::zeros_like") {
    Val z{"", outShape(), elemOf(outs[0].toTensor().scalar_type(), where)};
    z.zero = true;
    return bind(outs[0], z);
  }
  if (kind == "aten::masked_fill_" || kind == "aten::masked_fill") {
    Val base = T(0), mask = T(1);
    double value = toDouble(ins[2]);
    if (!base.zero)
      throw Error(where + ": masked_fill is supported on zeros (additive "
                          "attention masks) only");
    // -inf: a large negative score whose softmax weight is exactly 0.
    if (std::isinf(value))
      value = value < 0 ? -1e9 : 1e9;
    return bind(outs[0], fn.broadcastTo(fn.scale(mask, value), base.shape));
  }
  throw Error("unsupported op " + kind + " at " + where);
}

std::string Importer::run(const std::vector<at::Tensor> &inputs) {
  Function fn(*this, "");
  fn.isTop = true;
  top = &fn;
  paths[root._ivalue().get()] = "";
  auto graph = root.get_method("forward").graph();
  if (graph->inputs().size() != inputs.size() + 1)
    throw Error("forward takes " + std::to_string(graph->inputs().size() - 1) +
                " inputs; " + std::to_string(inputs.size()) + " given");
  std::vector<IValue> args{root._ivalue()};
  for (size_t i = 0; i < inputs.size(); ++i) {
    fn.arg(inputs[i], "rev.no_grad");
    args.push_back(inputs[i]);
  }
  std::vector<IValue> outs = translate(fn, *graph, args);
  if (outs.size() != 1 || !outs[0].isTensor() || outs[0].toTensor().dim())
    throw Error("the module must return a scalar loss (a 0-d tensor)");
  const Val &loss = fn.lookup(outs[0].toTensor(), "the loss");
  std::string text = "// Imported by pareprop-import\n";
  for (const std::string &f : functions)
    text += f + "\n";
  text += "func.func @loss(" + fn.signature() + ") -> " + loss.type() + " {\n";
  for (const std::string &l : fn.lines)
    text += l + "\n";
  text += "  return " + loss.name + " : " + loss.type() + "\n}\n";
  return text;
}

} // namespace

ImportResult importTorchScript(const std::string &path,
                               const std::vector<InputSpec> &specs) {
  ImportResult result;
  try {
    std::unordered_map<std::string, std::string> extra{{"pareprop_inputs", ""}};
    torch::jit::Module module = torch::jit::load(path, c10::nullopt, extra);
    std::vector<InputSpec> inputs = specs;
    if (inputs.empty()) {
      std::istringstream saved(extra["pareprop_inputs"]);
      std::string line;
      while (std::getline(saved, line))
        if (!line.empty()) {
          auto spec = parseInputSpec(line);
          if (!spec)
            throw Error("bad input description in the archive: " + line);
          inputs.push_back(*spec);
        }
    }
    if (inputs.empty())
      throw Error("no input shapes: pass --input (e.g. --input 2x3x8x8xf32) "
                  "or save the module with pareprop.save_torchscript");
    torch::manual_seed(0);
    std::vector<at::Tensor> tensors;
    for (const InputSpec &s : inputs) {
      at::TensorOptions o;
      if (s.elem == "f32")
        tensors.push_back(torch::randn(s.shape, o.dtype(at::kFloat)));
      else if (s.elem == "f64")
        tensors.push_back(torch::randn(s.shape, o.dtype(at::kDouble)));
      else if (s.elem == "i64") // Index 0 is valid for any table.
        tensors.push_back(torch::zeros(s.shape, o.dtype(at::kLong)));
      else if (s.elem == "i1")
        tensors.push_back(torch::zeros(s.shape, o.dtype(at::kBool)));
      else
        throw Error("unsupported input element type " + s.elem);
    }
    torch::NoGradGuard noGrad;
    Importer importer(module);
    result.mlir = importer.run(tensors);
  } catch (const Error &e) {
    result.error = e.what();
  } catch (const c10::Error &e) {
    result.error = std::string("torch: ") + e.what_without_backtrace();
  } catch (const std::exception &e) {
    result.error = e.what();
  }
  return result;
}

std::optional<InputSpec> parseInputSpec(const std::string &text) {
  // "2x3x8x8xf32", "2xi64", "f32" (a scalar).
  InputSpec spec;
  size_t pos = 0;
  while (true) {
    size_t x = text.find('x', pos);
    std::string part = text.substr(pos, x == std::string::npos ? x : x - pos);
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      // A dimension is positive and fits in int64_t (std::stoll would throw
      // on "99999999999999999999x...").
      int64_t dim = 0;
      auto [end, error] =
          std::from_chars(part.data(), part.data() + part.size(), dim);
      if (error != std::errc() || end != part.data() + part.size() || dim <= 0)
        return std::nullopt;
      spec.shape.push_back(dim);
      if (x == std::string::npos)
        return std::nullopt;
      pos = x + 1;
      continue;
    }
    spec.elem = text.substr(pos);
    break;
  }
  if (spec.elem != "f32" && spec.elem != "f64" && spec.elem != "i64" &&
      spec.elem != "i1")
    return std::nullopt;
  return spec;
}

} // namespace pareprop::importer
