//===- TorchScriptImporter.cpp - TorchScript -> aten/rev MLIR text --------===//
//
// Walks the TorchScript graph of a traced or scripted loss module while
// running it on example inputs: every value gets its concrete IValue (so
// sizes, lists and constants are known), and every tensor an MLIR SSA name,
// found by its TensorImpl. Method calls are inlined as they are met, except
// calls of pareprop.nn.ReversibleBlock, which become rev.block ops whose F
// and G are imported into private functions of their own. Each aten node
// computing a model value becomes an aten.call with its schema's argument
// names; convert-aten-to-nn (shared with the torch.fx exporter) lowers them.
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
#include <cstring>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
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

Shape shapeOf(const at::Tensor &t) {
  return Shape(t.sizes().begin(), t.sizes().end());
}

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

/// An f64 attribute: special values by their bits, which MLIR's float
/// literals do not spell.
std::string fmtF64Attr(double v) {
  if (std::isfinite(v))
    return fmtFloat(v) + " : f64";
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  std::ostringstream os;
  os << "0x" << std::hex << std::uppercase << std::setw(16) << std::setfill('0')
     << bits << " : f64";
  return os.str();
}

std::string quoteString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// Writes an aten node as an aten.call (see the aten dialect): the tensors
/// that are model values are operands named by their schema argument, the
/// other arguments go into `args`, each tensor result (each element of a
/// list result) is a result. What a call means is convert-aten-to-nn's
/// business, shared with the torch.fx exporter: nothing here is per op but
/// the dropout key and the runtime values the call needs.
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
  if (kind.rfind("aten::", 0) != 0)
    throw Error("unsupported op " + kind + " at " + where);
  // An in-place variant (masked_fill_) is its functional form whose result
  // takes over the tensor's name.
  std::string name = kind.substr(6);
  if (name.size() > 1 && name.back() == '_' && name[name.size() - 2] != '_')
    name.pop_back();

  std::vector<std::pair<std::string, Val>> operands;
  std::vector<std::string> args;
  auto operand = [&](const std::string &arg, const at::Tensor &t) {
    operands.push_back({arg, fn.lookup(t, where)});
  };
  const c10::FunctionSchema &schema = n->schema();
  for (size_t i = 0; i < schema.arguments().size() && i < ins.size(); ++i) {
    const std::string &arg = schema.arguments()[i].name();
    const IValue &v = ins[i];
    if (v.isNone())
      continue;
    if (v.isTensor()) {
      const at::Tensor &t = v.toTensor();
      if (fn.names.count(t.unsafeGetTensorImpl()) || t.dim() != 0)
        operand(arg, t);
      else // A number the trace wrapped in a tensor.
        args.push_back(arg + " = " + fmtF64Attr(t.item<double>()));
    } else if (v.isTensorList() || (v.isList() && !v.toListRef().empty() &&
                                    v.toListRef()[0].isTensor())) {
      for (const IValue &e : v.toListRef())
        operand(arg, e.toTensor());
    } else if (v.isBool()) {
      args.push_back(arg + " = " + (v.toBool() ? "true" : "false"));
    } else if (v.isInt()) {
      args.push_back(arg + " = " + std::to_string(v.toInt()) + " : i64");
    } else if (v.isDouble()) {
      args.push_back(arg + " = " + fmtF64Attr(v.toDouble()));
    } else if (v.isString()) {
      args.push_back(arg + " = " + quoteString(v.toStringRef()));
    } else if (v.isIntList()) {
      std::string list = "array<i64";
      auto ints = v.toIntVector();
      for (size_t k = 0; k < ints.size(); ++k)
        list += (k ? ", " : ": ") + std::to_string(ints[k]);
      args.push_back(arg + " = " + list + ">");
    }
    // Devices and the like say nothing about the math.
  }
  // Dropout draws from the step's key: the call needs it, and the function
  // takes it, only when it drops something.
  if (name == "dropout" && ins.size() > 2 && ins[2].isBool() &&
      ins[2].toBool() && toDouble(ins[1]) != 0.0) {
    fn.usesKey = true;
    operands.push_back({"key", Val{"%key", {}, "i64"}});
  }

  std::vector<at::Tensor> results;
  for (const IValue &o : outs) {
    if (o.isTensor())
      results.push_back(o.toTensor());
    else if (o.isTensorList())
      for (const at::Tensor &t : o.toTensorVector())
        results.push_back(t);
    else if (o.isTuple())
      for (const IValue &e : o.toTupleRef().elements())
        if (e.isTensor())
          results.push_back(e.toTensor());
  }
  std::string names, types, operandTypes, list;
  for (const auto &[arg, v] : operands) {
    names += (names.empty() ? "" : ", ") + v.name;
    list += (list.empty() ? "" : ", ") + quoteString(arg);
    operandTypes += (operandTypes.empty() ? "" : ", ") +
                    (v.name == "%key" ? std::string("i64") : v.type());
  }
  Val first = fn.fresh({}, "");
  std::vector<Val> values;
  for (size_t i = 0; i < results.size(); ++i) {
    Val v{first.name + (results.size() > 1 ? "#" + std::to_string(i) : ""),
          shapeOf(results[i]), elemOf(results[i].scalar_type(), where)};
    types += (types.empty() ? "" : ", ") + v.type();
    values.push_back(v);
  }
  std::string argText;
  for (const std::string &a : args)
    argText += (argText.empty() ? "" : ", ") + a;
  fn.lines.push_back(
      "  " + first.name +
      (results.size() > 1 ? ":" + std::to_string(results.size()) : "") +
      " = aten.call " + quoteString(name) + "(" + names +
      ") {operand_names = [" + list + "], args = {" + argText + "}} : (" +
      operandTypes + ") -> " +
      (results.size() == 1 ? types : "(" + types + ")") + " loc(" +
      quoteString(fn.path.empty() ? "<top>" : fn.path) + ")");
  for (size_t i = 0; i < results.size(); ++i)
    fn.names[results[i].unsafeGetTensorImpl()] = values[i];
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
  std::string text;
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
