"""torch.fx -> MLIR in the ``rev`` and ``nn`` dialects.

``export(module, example_inputs)`` traces ``module`` (which returns a scalar
loss) with torch.fx. Every :class:`pareprop.nn.ReversibleBlock` becomes one
``rev.block`` op whose F and G are private functions (shared between blocks
whose F or G have the same code); parameters become arguments of the loss
function, named by ``module.named_parameters()`` in the ``rev.param``
argument attribute. Shapes are static: they are those of ``example_inputs``.
"""

import contextlib
import dis
import inspect
import math
import operator
import sys
from dataclasses import dataclass, field

import torch
import torch.fx as fx
import torch.nn.functional as F

from .nn import ReversibleBlock


class ExportError(Exception):
    """An unsupported op or argument, named with its module path."""


# --------------------------------------------------------------------------
# Tracing
# --------------------------------------------------------------------------

class _Tracer(fx.Tracer):
    """Keeps torch.nn modules (fx's default) and ReversibleBlocks whole."""

    def is_leaf_module(self, m, qualname):
        if isinstance(m, ReversibleBlock):
            return True
        return super().is_leaf_module(m, qualname)


@contextlib.contextmanager
def _tuple_unpacking_fix():
    """torch 1.13's ``Proxy.__iter__`` finds the instruction that unpacks a
    traced value (``q, k, v = qkv``) at index ``f_lasti // 2`` of the
    instruction list, which is wrong under Python 3.11's inline caches; look
    it up by byte offset instead."""
    original = fx.proxy.Proxy.__iter__

    def __iter__(self):
        caller = sys._getframe(1)
        for inst in dis.get_instructions(caller.f_code):
            if inst.offset == caller.f_lasti:
                if inst.opname == "UNPACK_SEQUENCE":
                    return (self[i] for i in range(inst.argval))
                break
        return self.tracer.iter(self)

    fx.proxy.Proxy.__iter__ = __iter__
    try:
        yield
    finally:
        fx.proxy.Proxy.__iter__ = original


def _trace(module, num_inputs=None):
    # Optional parameters the caller does not pass stay at their defaults.
    concrete = {}
    if num_inputs is not None:
        params = list(inspect.signature(module.forward).parameters.values())
        for p in params[num_inputs:]:
            if p.default is inspect.Parameter.empty:
                raise ExportError(f"{type(module).__name__}.forward needs "
                                  f"argument {p.name!r}, which the block "
                                  "does not pass")
            concrete[p.name] = p.default
    with _tuple_unpacking_fix():
        try:
            graph = _Tracer().trace(module, concrete_args=concrete or None)
        except ExportError:
            raise
        except Exception as e:  # fx's own errors: control flow on values...
            raise ExportError(
                f"torch.fx could not trace {type(module).__name__}: {e}") from e
    return fx.GraphModule(module, graph)


@dataclass(frozen=True)
class _Meta:
    shape: tuple
    dtype: torch.dtype


def _meta(value):
    if isinstance(value, torch.Tensor):
        return _Meta(tuple(value.shape), value.dtype)
    if isinstance(value, (tuple, list)) and not isinstance(value, torch.Size):
        return type(value)(_meta(v) for v in value)
    return value


class _Recorder(fx.Interpreter):
    """Runs the graph once and keeps every node's shape (tensors) or value
    (sizes, ints: they become compile-time constants)."""

    def __init__(self, gm):
        super().__init__(gm)
        self.values = {}

    def run_node(self, n):
        result = super().run_node(n)
        self.values[n] = _meta(result)
        return result


def _record(gm, inputs):
    recorder = _Recorder(gm)
    with torch.no_grad():
        recorder.run(*inputs)
    return recorder.values


def _example(meta):
    if meta.dtype.is_floating_point:
        return torch.randn(meta.shape, dtype=meta.dtype)
    return torch.zeros(meta.shape, dtype=meta.dtype)


# --------------------------------------------------------------------------
# MLIR text
# --------------------------------------------------------------------------

_DTYPES = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64",
           torch.int32: "i64", torch.bool: "f32"}


def _tensor_type(shape, elem):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def _float(v):
    return "{:.17e}".format(float(v))


def _ints(values):
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


@dataclass
class _Value:
    name: str
    shape: tuple
    elem: str

    @property
    def type(self):
        return _tensor_type(self.shape, self.elem)

    @property
    def rank(self):
        return len(self.shape)


@dataclass
class _Param:
    tensor: torch.Tensor
    path: str
    value: _Value


class _Function:
    """One func.func being written: its body, its arguments, and the
    parameters and dropout key it needs."""

    def __init__(self, exporter, path):
        self.exporter = exporter
        self.path = path  # Module path, for error messages.
        self.lines = []
        self.args = []  # (_Value, attrs)
        self.params = {}  # id(tensor) -> _Param
        self.key = None
        self.dropouts = 0
        self.counter = 0
        self.constants = {}

    def fresh(self, shape, elem):
        self.counter += 1
        return _Value(f"%v{self.counter}", tuple(shape), elem)

    def arg(self, shape, elem, attrs=""):
        v = _Value(f"%a{len(self.args)}", tuple(shape), elem)
        self.args.append((v, attrs))
        return v

    def param(self, tensor, path):
        p = self.params.get(id(tensor))
        if p is None:
            v = _Value(f"%p{len(self.params)}", tuple(tensor.shape),
                       _elem(tensor.dtype, path))
            p = self.params[id(tensor)] = _Param(tensor, path, v)
        return p.value

    def constant(self, tensor, path):
        """A buffer or tensor constant as an arith.constant (raw bytes,
        little-endian), once per function."""
        key = ("const", id(tensor))
        cached = self.constants.get(key)
        if cached is not None:
            return cached
        if tensor.dtype == torch.bool:
            tensor = tensor.to(torch.float32)
        if tensor.dtype == torch.int32:
            tensor = tensor.to(torch.int64)
        elem = _elem(tensor.dtype, path)
        data = tensor.detach().contiguous().cpu().numpy().tobytes()
        v = self.fresh(tuple(tensor.shape), elem)
        self.lines.append(f"  {v.name} = arith.constant dense<\"0x"
                          f"{data.hex().upper()}\"> : {v.type}")
        self.constants[key] = v
        return v

    def key_value(self):
        if self.key is None:
            self.key = "%key"
        return self.key

    def op(self, text, shape, elem):
        v = self.fresh(shape, elem)
        self.lines.append(f"  {v.name} = {text}")
        return v

    # -- nn ops ------------------------------------------------------------

    def binary(self, name, a, b):
        shape = _broadcast(a.shape, b.shape, self.path)
        return self.op(f"nn.{name} {a.name}, {b.name} : {a.type}, {b.type}",
                       shape, a.elem)

    def scale(self, a, factor):
        if factor == 1.0:
            return a
        return self.op(f"nn.scale {a.name} by {_float(factor)} : {a.type}",
                       a.shape, a.elem)

    def unary(self, name, a, attrs=""):
        return self.op(f"nn.{name} {a.name}{attrs} : {a.type}", a.shape,
                       a.elem)

    def reshape(self, a, shape):
        shape = tuple(shape)
        if shape == a.shape:
            return a
        return self.op(f"nn.reshape {a.name} : {a.type} -> "
                       f"{_tensor_type(shape, a.elem)}", shape, a.elem)

    def transpose(self, a, perm):
        perm = [p % a.rank for p in perm] if a.rank else []
        if perm == list(range(a.rank)):
            return a
        shape = tuple(a.shape[p] for p in perm)
        return self.op(f"nn.transpose {a.name} perm {_ints(perm)} : {a.type}",
                       shape, a.elem)

    def swap(self, a, d0, d1):
        perm = list(range(a.rank))
        d0, d1 = d0 % a.rank, d1 % a.rank
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return self.transpose(a, perm)

    def matmul(self, a, b, transpose_rhs=False):
        if a.rank < 2 or b.rank < 2:
            raise ExportError(f"{self.path}: matmul of a vector is not "
                              "supported (operands of rank >= 2)")
        if b.rank == 2 and a.rank > 2 and not transpose_rhs:
            # [..., k] @ [k, n]: one 2-D product.
            flat = self.reshape(a, (math.prod(a.shape[:-1]), a.shape[-1]))
            out = self.matmul(flat, b)
            return self.reshape(out, a.shape[:-1] + (b.shape[-1],))
        if a.rank != b.rank or a.shape[:-2] != b.shape[:-2]:
            raise ExportError(
                f"{self.path}: matmul of {list(a.shape)} and {list(b.shape)}:"
                " batch dimensions must match (no batch broadcasting)")
        n = b.shape[-2] if transpose_rhs else b.shape[-1]
        attrs = " {transpose_rhs}" if transpose_rhs else ""
        return self.op(f"nn.matmul {a.name}, {b.name}{attrs} : {a.type}, "
                       f"{b.type}", a.shape[:-1] + (n,), a.elem)

    def linear(self, x, w, b=None):
        shape = x.shape[:-1] + (w.shape[0],)
        if b is None:
            return self.op(f"nn.linear {x.name}, {w.name} : {x.type}, "
                           f"{w.type}", shape, x.elem)
        return self.op(f"nn.linear {x.name}, {w.name}, {b.name} : {x.type}, "
                       f"{w.type}, {b.type}", shape, x.elem)

    def layer_norm(self, x, g, b, eps):
        v = self.fresh(x.shape, x.elem)
        stats = self.fresh(x.shape[:-1], x.elem), self.fresh(x.shape[:-1],
                                                             x.elem)
        self.lines.append(
            f"  {v.name}, {stats[0].name}, {stats[1].name} = nn.layer_norm "
            f"{x.name}, {g.name}, {b.name} {{epsilon = {_float(eps)} : f64}}"
            f" : {x.type}, {g.type}")
        return v

    def softmax(self, x, dim):
        dim %= x.rank
        if dim != x.rank - 1:
            t = self.swap(x, dim, -1)
            return self.swap(self.softmax(t, -1), dim, -1)
        return self.op(f"nn.softmax {x.name} dim {x.rank - 1} : {x.type}",
                       x.shape, x.elem)

    def dropout(self, x, rate):
        if rate == 0.0:
            return x
        if not 0.0 <= rate < 1.0:
            raise ExportError(f"{self.path}: dropout rate {rate} not in [0, 1)")
        i = self.dropouts
        self.dropouts += 1
        return self.op(f"nn.dropout {x.name}, {self.key_value()} {{id = {i} :"
                       f" i64, rate = {_float(rate)} : f64}} : {x.type}",
                       x.shape, x.elem)

    def reduce(self, name, x, dims, keepdim=False):
        dims = sorted({d % x.rank for d in dims})
        shape = tuple(s for i, s in enumerate(x.shape) if i not in dims)
        out = self.op(f"nn.{name} {x.name} dims {_ints(dims)} : {x.type}",
                      shape, x.elem)
        if keepdim:
            out = self.reshape(out, tuple(1 if i in dims else s
                                          for i, s in enumerate(x.shape)))
        return out

    def slice(self, x, offsets, sizes):
        if tuple(sizes) == x.shape:
            return x
        return self.op(f"nn.slice {x.name} offsets {_ints(offsets)} sizes "
                       f"{_ints(sizes)} : {x.type}", sizes, x.elem)

    def slice_dim(self, x, dim, start, size):
        offsets = [0] * x.rank
        sizes = list(x.shape)
        offsets[dim], sizes[dim] = start, size
        return self.slice(x, offsets, sizes)

    def concat(self, xs, dim):
        if len(xs) == 1:
            return xs[0]
        dim %= xs[0].rank
        shape = list(xs[0].shape)
        shape[dim] = sum(x.shape[dim] for x in xs)
        names = ", ".join(x.name for x in xs)
        types = ", ".join(x.type for x in xs)
        return self.op(f"nn.concat {names} dim {dim} : {types}", shape,
                       xs[0].elem)

    def embedding(self, ids, table):
        if ids.elem != "i64":
            raise ExportError(f"{self.path}: embedding indices must be "
                              "integer tensors")
        return self.op(f"nn.embedding {ids.name}, {table.name} : {ids.type},"
                       f" {table.type}", ids.shape + (table.shape[1],),
                       table.elem)

    def cross_entropy(self, logits, labels, ignore_index=-100):
        if logits.rank != 2 or labels.shape != logits.shape[:1]:
            raise ExportError(
                f"{self.path}: cross_entropy takes [N, C] logits and [N] "
                f"labels, got {list(logits.shape)} and {list(labels.shape)}")
        if labels.elem != "i64":
            raise ExportError(f"{self.path}: cross_entropy labels must be "
                              "class indices (an integer tensor)")
        attrs = ("" if ignore_index == -100 else
                 f" {{ignore_index = {int(ignore_index)} : i64}}")
        return self.op(f"nn.cross_entropy {logits.name}, {labels.name}{attrs}"
                       f" : {logits.type}, {labels.type}", (), logits.elem)

    # -- text ----------------------------------------------------------------

    def signature(self):
        parts = []
        for v, attrs in self.args:
            parts.append(f"{v.name}: {v.type}" + (f" {{{attrs}}}"
                                                  if attrs else ""))
        # Parameters are named where users see them: on @loss. F and G are
        # shared between blocks, so theirs have no one name.
        named = self is self.exporter.top
        for p in self.params.values():
            parts.append(f"{p.value.name}: {p.value.type}" +
                         (f" {{rev.param = \"{p.path}\"}}" if named else ""))
        if self.key is not None:
            parts.append(f"{self.key}: i64")
        return ", ".join(parts)


def _elem(dtype, path):
    if dtype not in _DTYPES:
        raise ExportError(f"{path}: tensors of {dtype} are not supported")
    return _DTYPES[dtype]


def _broadcast(a, b, path):
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise ExportError(f"{path}: shapes {list(a)} and {list(b)} do "
                              "not broadcast")
        out.append(max(x, y))
    return tuple(reversed(out))


# --------------------------------------------------------------------------
# fx nodes -> ops
# --------------------------------------------------------------------------

def _bind(node, names, defaults=None):
    """Positional and keyword arguments of `node` by parameter name."""
    args = list(node.args)
    out = dict(defaults or {})
    for name, a in zip(names, args):
        out[name] = a
    if len(args) > len(names):
        raise ExportError(f"unexpected arguments to {_target_name(node)}")
    out.update(node.kwargs)
    return out


def _target_name(node):
    t = node.target
    if isinstance(t, str):
        return t if node.op != "call_method" else f"Tensor.{t}"
    return getattr(t, "__name__", str(t))


_FUNCTIONS = {
    operator.add: "add", torch.add: "add", operator.sub: "sub",
    torch.sub: "sub", operator.mul: "mul", torch.mul: "mul",
    operator.truediv: "div", torch.div: "div", operator.neg: "neg",
    torch.neg: "neg", operator.matmul: "matmul", torch.matmul: "matmul",
    torch.bmm: "matmul", operator.getitem: "getitem", F.gelu: "gelu",
    F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", F.tanh: "tanh",
    F.softmax: "softmax", torch.softmax: "softmax", F.dropout: "dropout",
    F.layer_norm: "layer_norm", F.linear: "linear", torch.cat: "cat",
    torch.concat: "cat", torch.chunk: "chunk", torch.split: "split",
    torch.unbind: "unbind", torch.flatten: "flatten",
    torch.transpose: "transpose", torch.permute: "permute",
    torch.reshape: "reshape", torch.mean: "mean", torch.sum: "sum",
    F.cross_entropy: "cross_entropy", F.mse_loss: "mse_loss",
    torch.unsqueeze: "unsqueeze", torch.squeeze: "squeeze",
    F.embedding: "embedding",
}

_METHODS = {
    "add": "add", "sub": "sub", "mul": "mul", "div": "div",
    "matmul": "matmul", "view": "reshape", "reshape": "reshape",
    "permute": "permute", "transpose": "transpose", "flatten": "flatten",
    "contiguous": "identity", "mean": "mean", "sum": "sum", "chunk": "chunk",
    "split": "split", "unbind": "unbind", "softmax": "softmax",
    "unsqueeze": "unsqueeze", "squeeze": "squeeze", "relu": "relu",
    "tanh": "tanh", "t": "t", "neg": "neg", "float": "identity",
    "__getitem__": "getitem",
}


class _GraphEmitter:
    """Writes one traced graph into a _Function."""

    def __init__(self, exporter, fn, gm, values, path):
        self.exporter = exporter
        self.fn = fn
        self.gm = gm
        self.values = values  # Recorded shapes and constants.
        self.path = path
        self.env = {}

    def run(self, inputs):
        placeholders = [n for n in self.gm.graph.nodes
                        if n.op == "placeholder"]
        for n, v in zip(placeholders, inputs):
            self.env[n] = v
        for n in self.gm.graph.nodes:
            if n.op == "placeholder":
                continue
            if n.op == "output":
                return self.value(n.args[0])
            self.env[n] = self.node(n)
        raise ExportError(f"{self.path}: graph without output")

    def value(self, a):
        if isinstance(a, fx.Node):
            return self.env[a]
        if isinstance(a, (tuple, list)):
            return type(a)(self.value(x) for x in a)
        if isinstance(a, dict):
            return {k: self.value(v) for k, v in a.items()}
        if isinstance(a, slice):
            return slice(self.value(a.start), self.value(a.stop),
                         self.value(a.step))
        return a

    def where(self, n):
        stack = n.meta.get("nn_module_stack")
        inner = list(stack)[-1] if stack else ""
        where = ".".join(p for p in (self.path, inner) if p) or "<top>"
        return f"{where} ({_target_name(n)})"

    def node(self, n):
        recorded = self.values.get(n)
        # Sizes and other Python values are compile-time constants.
        if not _holds_tensor(recorded):
            return recorded
        if n.op == "get_attr":
            return self.attribute(n)
        if n.op == "call_module":
            return self.module(n)
        kind = (_FUNCTIONS.get(n.target) if n.op == "call_function"
                else _METHODS.get(n.target))
        if kind is None:
            raise ExportError(f"unsupported op {_target_name(n)} at "
                              f"{self.where(n)}")
        try:
            return getattr(self, "op_" + kind)(n, recorded)
        except ExportError as e:
            if " at " in str(e):
                raise
            raise ExportError(f"{e} at {self.where(n)}") from None

    def attribute(self, n):
        obj = self.gm
        for part in n.target.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, torch.nn.Parameter):
            return self.fn.param(obj, self.exporter.param_path(obj, n.target))
        if isinstance(obj, torch.Tensor):
            # A buffer or a tensor constant: its value at export time.
            return self.fn.constant(obj, f"{self.path}.{n.target}")
        raise ExportError(f"{self.path}.{n.target}: attributes of type "
                          f"{type(obj).__name__} are not supported")

    # Arguments -------------------------------------------------------------

    def tensor(self, a, what="operand"):
        v = self.value(a)
        if not isinstance(v, _Value):
            raise ExportError(f"expected a tensor {what}, got {v!r}")
        return v

    def args(self, n, names, defaults=None):
        return {k: self.value(v) for k, v in
                _bind(n, names, defaults).items()}

    # Elementwise -------------------------------------------------------------

    def _arith(self, n, name):
        a, b = self.value(n.args[0]), self.value(n.args[1])
        if "alpha" in n.kwargs:
            raise ExportError(f"{name} with alpha is not supported")
        if isinstance(a, _Value) and isinstance(b, _Value):
            return self.fn.binary(name, a, b)
        if name == "mul":
            t, s = (a, b) if isinstance(a, _Value) else (b, a)
            if isinstance(s, (int, float)):
                return self.fn.scale(t, float(s))
        if name == "div" and isinstance(a, _Value) and isinstance(b,
                                                                  (int, float)):
            return self.fn.scale(a, 1.0 / float(b))
        raise ExportError(f"{name} of {type(a).__name__} and "
                          f"{type(b).__name__} is not supported (tensors, "
                          "or a tensor times/over a number)")

    def op_add(self, n, r):
        return self._arith(n, "add")

    def op_sub(self, n, r):
        return self._arith(n, "sub")

    def op_mul(self, n, r):
        return self._arith(n, "mul")

    def op_div(self, n, r):
        return self._arith(n, "div")

    def op_neg(self, n, r):
        return self.fn.scale(self.tensor(n.args[0]), -1.0)

    def op_identity(self, n, r):
        x = self.tensor(n.args[0])
        if n.target == "float" and x.elem not in ("f32",):
            raise ExportError("Tensor.float() of a non-f32 tensor")
        return x

    def op_relu(self, n, r):
        return self.fn.unary("relu", self.tensor(n.args[0]))

    def op_tanh(self, n, r):
        return self.fn.unary("tanh", self.tensor(n.args[0]))

    def op_gelu(self, n, r):
        a = self.args(n, ["input", "approximate"], {"approximate": "none"})
        attrs = (f" {{approximate = \"{a['approximate']}\"}}"
                 if a["approximate"] != "none" else "")
        return self.fn.unary("gelu", self.tensor(a["input"]), attrs)

    def op_softmax(self, n, r):
        a = self.args(n, ["input", "dim", "_stacklevel", "dtype"],
                      {"dim": None, "dtype": None})
        if a["dim"] is None or a["dtype"] is not None:
            raise ExportError("softmax needs an explicit dim and no dtype")
        return self.fn.softmax(self.tensor(a["input"]), a["dim"])

    def op_dropout(self, n, r):
        a = self.args(n, ["input", "p", "training", "inplace"],
                      {"p": 0.5, "training": True, "inplace": False})
        x = self.tensor(a["input"])
        return self.fn.dropout(x, a["p"]) if a["training"] else x

    # Linear algebra ------------------------------------------------------------

    def op_matmul(self, n, r):
        return self.fn.matmul(self.tensor(n.args[0]), self.tensor(n.args[1]))

    def op_linear(self, n, r):
        a = self.args(n, ["input", "weight", "bias"], {"bias": None})
        return self.fn.linear(self.tensor(a["input"]),
                              self.tensor(a["weight"]),
                              None if a["bias"] is None else
                              self.tensor(a["bias"]))

    def op_layer_norm(self, n, r):
        a = self.args(n, ["input", "normalized_shape", "weight", "bias",
                          "eps"], {"weight": None, "bias": None, "eps": 1e-5})
        x = self.tensor(a["input"])
        if tuple(a["normalized_shape"]) != x.shape[-1:]:
            raise ExportError("layer_norm over more than the last dimension "
                              "is not supported")
        if a["weight"] is None or a["bias"] is None:
            raise ExportError("layer_norm without weight and bias is not "
                              "supported")
        return self.fn.layer_norm(x, self.tensor(a["weight"]),
                                  self.tensor(a["bias"]), a["eps"])

    def op_embedding(self, n, r):
        a = self.args(n, ["input", "weight", "padding_idx", "max_norm"],
                      {"padding_idx": None, "max_norm": None})
        if a["padding_idx"] is not None or a["max_norm"] is not None:
            raise ExportError("embedding with padding_idx or max_norm is not "
                              "supported")
        return self.fn.embedding(self.tensor(a["input"]),
                                 self.tensor(a["weight"]))

    # Shapes ----------------------------------------------------------------------

    def _shape_args(self, n):
        rest = [self.value(a) for a in n.args[1:]]
        if "shape" in n.kwargs:
            rest = [self.value(n.kwargs["shape"])]
        if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
            rest = list(rest[0])
        return [int(d) for d in rest]

    def op_reshape(self, n, r):
        x = self.tensor(n.args[0])
        return self.fn.reshape(x, r.shape)

    def op_flatten(self, n, r):
        return self.fn.reshape(self.tensor(n.args[0]), r.shape)

    def op_unsqueeze(self, n, r):
        return self.fn.reshape(self.tensor(n.args[0]), r.shape)

    def op_squeeze(self, n, r):
        return self.fn.reshape(self.tensor(n.args[0]), r.shape)

    def op_permute(self, n, r):
        x = self.tensor(n.args[0])
        dims = self._shape_args(n) if "dims" not in n.kwargs else list(
            self.value(n.kwargs["dims"]))
        return self.fn.transpose(x, dims)

    def op_transpose(self, n, r):
        a = self.args(n, ["input", "dim0", "dim1"])
        return self.fn.swap(self.tensor(a["input"]), a["dim0"], a["dim1"])

    def op_t(self, n, r):
        return self.fn.swap(self.tensor(n.args[0]), 0, 1)

    def op_getitem(self, n, r):
        base = self.value(n.args[0])
        index = self.value(n.args[1])
        if isinstance(base, (tuple, list)):
            return base[index]
        if not isinstance(base, _Value):
            raise ExportError(f"indexing a {type(base).__name__}")
        return self.index(base, index, r)

    def index(self, x, index, r):
        if not isinstance(index, tuple):
            index = (index,)
        if any(i is Ellipsis for i in index):
            k = index.index(Ellipsis)
            fill = x.rank - (len(index) - 1 - sum(i is None for i in index))
            index = index[:k] + (slice(None),) * (fill - k) + index[k + 1:]
        offsets, sizes = [], []
        dim = 0
        for i in index:
            if i is None:
                continue
            if dim >= x.rank:
                raise ExportError("too many indices")
            n = x.shape[dim]
            if isinstance(i, int):
                i = i + n if i < 0 else i
                if not 0 <= i < n:
                    raise ExportError(f"index {i} out of range")
                offsets.append(i)
                sizes.append(1)
            elif isinstance(i, slice):
                start, stop, step = i.indices(n)
                if step != 1:
                    raise ExportError("slices with a step are not supported")
                offsets.append(start)
                sizes.append(max(0, stop - start))
            else:
                raise ExportError(f"index {i!r} is not supported (integers, "
                                  "slices, ... and None)")
            dim += 1
        offsets += [0] * (x.rank - dim)
        sizes += list(x.shape[dim:])
        if 0 in sizes:
            raise ExportError("empty slices are not supported")
        return self.fn.reshape(self.fn.slice(x, offsets, sizes), r.shape)

    def _pieces(self, x, dim, sizes):
        dim %= x.rank
        out, start = [], 0
        for s in sizes:
            out.append(self.fn.slice_dim(x, dim, start, s))
            start += s
        return tuple(out)

    def op_chunk(self, n, r):
        a = self.args(n, ["input", "chunks", "dim"], {"dim": 0})
        return self._pieces(self.tensor(a["input"]), a["dim"],
                            [m.shape[a["dim"]] for m in r])

    def op_split(self, n, r):
        names = (["tensor", "split_size_or_sections", "dim"]
                 if n.op == "call_function" else ["self", "split_size", "dim"])
        a = self.args(n, names, {"dim": 0})
        return self._pieces(self.tensor(n.args[0]), a["dim"],
                            [m.shape[a["dim"]] for m in r])

    def op_unbind(self, n, r):
        a = self.args(n, ["input", "dim"], {"dim": 0})
        x = self.tensor(a["input"])
        dim = a["dim"] % x.rank
        pieces = self._pieces(x, dim, [1] * x.shape[dim])
        return tuple(self.fn.reshape(p, m.shape) for p, m in zip(pieces, r))

    def op_cat(self, n, r):
        a = self.args(n, ["tensors", "dim"], {"dim": 0})
        xs = [self.tensor(t) for t in a["tensors"]]
        return self.fn.concat(xs, a["dim"])

    # Reductions and losses ------------------------------------------------------

    def _reduce(self, n, name):
        a = self.args(n, ["input", "dim", "keepdim"],
                      {"dim": None, "keepdim": False})
        if n.kwargs.get("dtype") is not None:
            raise ExportError(f"{name} with dtype is not supported")
        x = self.tensor(a["input"])
        dims = a["dim"]
        if dims is None:
            dims = range(x.rank)
        elif isinstance(dims, int):
            dims = [dims]
        return self.fn.reduce(name, x, dims, a["keepdim"])

    def op_mean(self, n, r):
        return self._reduce(n, "mean")

    def op_sum(self, n, r):
        return self._reduce(n, "sum")

    def op_mse_loss(self, n, r):
        a = self.args(n, ["input", "target", "size_average", "reduce",
                          "reduction"], {"size_average": None, "reduce": None,
                                         "reduction": "mean"})
        if a["reduction"] not in ("mean", "sum") or a["size_average"] \
                is not None or a["reduce"] is not None:
            raise ExportError("mse_loss supports reduction='mean' or 'sum'")
        d = self.fn.binary("sub", self.tensor(a["input"]),
                           self.tensor(a["target"]))
        sq = self.fn.binary("mul", d, d)
        return self.fn.reduce(a["reduction"], sq, range(sq.rank))

    def op_cross_entropy(self, n, r):
        a = self.args(n, ["input", "target", "weight", "size_average",
                          "ignore_index", "reduce", "reduction",
                          "label_smoothing"],
                      {"weight": None, "size_average": None,
                       "ignore_index": -100, "reduce": None,
                       "reduction": "mean", "label_smoothing": 0.0})
        if (a["weight"] is not None or a["size_average"] is not None or
                a["reduce"] is not None or a["reduction"] != "mean" or
                a["label_smoothing"] != 0.0):
            raise ExportError("cross_entropy supports class-index targets "
                              "with the default weight, reduction and "
                              "label_smoothing")
        logits, labels = self.tensor(a["input"]), self.tensor(a["target"])
        if labels.elem == "i64" and labels.rank == logits.rank - 1 and \
                logits.rank > 2:
            logits = self.fn.reshape(logits, (math.prod(logits.shape[:-1]),
                                              logits.shape[-1]))
            labels = self.fn.reshape(labels, (math.prod(labels.shape),))
        self.exporter.bound_index(labels, logits.shape[-1])
        return self.fn.cross_entropy(logits, labels, a["ignore_index"])

    # Modules ---------------------------------------------------------------------

    def module(self, n):
        m = self.gm.get_submodule(n.target)
        path = ".".join(p for p in (self.path, n.target) if p)
        handler = _MODULES.get(type(m))
        if handler is None:
            raise ExportError(f"unsupported module {type(m).__name__} at "
                              f"{path}")
        try:
            return handler(self, n, m, path)
        except ExportError as e:
            if f" at {path}" in str(e):
                raise
            raise ExportError(f"{e} at {path} ({type(m).__name__})") from None

    def p(self, m, name, path):
        return self.fn.param(getattr(m, name),
                             self.exporter.param_path(getattr(m, name),
                                                      f"{path}.{name}"))


def _linear(em, n, m, path):
    x = em.tensor(n.args[0])
    return em.fn.linear(x, em.p(m, "weight", path),
                        em.p(m, "bias", path) if m.bias is not None else None)


def _layer_norm(em, n, m, path):
    x = em.tensor(n.args[0])
    if tuple(m.normalized_shape) != x.shape[-1:] or not \
            m.elementwise_affine:
        raise ExportError("LayerNorm must normalize the last dimension and "
                          "be elementwise_affine")
    return em.fn.layer_norm(x, em.p(m, "weight", path), em.p(m, "bias", path),
                            m.eps)


def _dropout(em, n, m, path):
    x = em.tensor(n.args[0])
    return em.fn.dropout(x, m.p) if m.training else x


def _unary(name):
    def emit(em, n, m, path):
        x = em.tensor(n.args[0])
        if name == "gelu" and m.approximate != "none":
            return em.fn.unary(name, x, f" {{approximate = "
                                         f"\"{m.approximate}\"}}")
        return em.fn.unary(name, x)
    return emit


def _softmax(em, n, m, path):
    if m.dim is None:
        raise ExportError("Softmax needs an explicit dim")
    return em.fn.softmax(em.tensor(n.args[0]), m.dim)


def _identity(em, n, m, path):
    return em.tensor(n.args[0])


def _embedding(em, n, m, path):
    if m.padding_idx is not None or m.max_norm is not None:
        raise ExportError("Embedding with padding_idx or max_norm is not "
                          "supported")
    ids = em.tensor(n.args[0])
    em.exporter.bound_index(ids, m.num_embeddings)
    return em.fn.embedding(ids, em.p(m, "weight", path))


def _conv2d(em, n, m, path):
    """A patch embedding (stride = kernel, no padding) is a linear map of
    each patch: reshape into patches, then one nn.linear."""
    x = em.tensor(n.args[0])
    kh, kw = m.kernel_size
    if (tuple(m.stride) != (kh, kw) or m.padding not in ((0, 0), "valid") or
            tuple(m.dilation) != (1, 1) or m.groups != 1 or
            m.padding_mode != "zeros" or x.rank != 4 or
            x.shape[2] % kh or x.shape[3] % kw):
        raise ExportError("only patch-embedding convolutions are supported "
                          "(stride = kernel, no padding, dilation 1, one "
                          "group, image size a multiple of the kernel)")
    f = em.fn
    b, c, h, w = x.shape
    ph, pw = h // kh, w // kw
    p = f.reshape(x, (b, c, ph, kh, pw, kw))
    p = f.transpose(p, [0, 2, 4, 1, 3, 5])
    p = f.reshape(p, (b, ph, pw, c * kh * kw))
    weight = f.reshape(em.p(m, "weight", path), (m.out_channels,
                                                 c * kh * kw))
    y = f.linear(p, weight, em.p(m, "bias", path) if m.bias is not None
                 else None)
    return f.transpose(y, [0, 3, 1, 2])


def _multihead_attention(em, n, m, path):
    """PyTorch's MultiheadAttention, decomposed: packed in-projection,
    scaled dot-product attention per head, out-projection."""
    a = _bind(n, ["query", "key", "value", "key_padding_mask",
                  "need_weights", "attn_mask", "average_attn_weights"],
              {"key_padding_mask": None, "need_weights": True,
               "attn_mask": None, "average_attn_weights": True})
    if a["attn_mask"] is not None:
        raise ExportError("attn_mask is not supported (key_padding_mask is)")
    if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise ExportError("MultiheadAttention with kdim/vdim, add_bias_kv or "
                          "add_zero_attn is not supported")
    users = [u for u in n.users]
    for u in users:
        if not (u.op == "call_function" and u.target is operator.getitem and
                u.args[1] == 0) and u.users:
            raise ExportError("the attention weights output is not supported "
                              "(use only the first output)")
    f = em.fn
    q, k, v = (em.tensor(a[x]) for x in ("query", "key", "value"))
    if not m.batch_first:  # [L, N, E] -> [N, L, E]
        q, k, v = (f.swap(t, 0, 1) for t in (q, k, v))
    e, heads = m.embed_dim, m.num_heads
    hd = e // heads
    w = em.p(m, "in_proj_weight", path)
    bias = em.p(m, "in_proj_bias", path) if m.in_proj_bias is not None \
        else None

    def project(t, i):
        wi = f.slice_dim(w, 0, i * e, e)
        bi = f.slice_dim(bias, 0, i * e, e) if bias is not None else None
        y = f.linear(t, wi, bi)
        y = f.reshape(y, (t.shape[0], t.shape[1], heads, hd))
        return f.transpose(y, [0, 2, 1, 3])  # [N, H, L, hd]

    qh, kh, vh = project(q, 0), project(k, 1), project(v, 2)
    scores = f.scale(f.matmul(qh, kh, transpose_rhs=True),
                     1.0 / math.sqrt(hd))
    mask = a["key_padding_mask"]
    if mask is not None:
        mask = em.tensor(mask, "key_padding_mask")
        if mask.shape != (q.shape[0], k.shape[1]):
            raise ExportError(f"key_padding_mask has shape "
                              f"{list(mask.shape)}, expected "
                              f"{[q.shape[0], k.shape[1]]}")
        # True (1.0) marks padding: a large negative score, whose softmax
        # weight underflows to exactly 0 as PyTorch's -inf does.
        bias_mask = f.reshape(f.scale(mask, -1e9),
                              (q.shape[0], 1, 1, k.shape[1]))
        scores = f.binary("add", scores, bias_mask)
    probs = f.softmax(scores, -1)
    if m.training:
        probs = f.dropout(probs, m.dropout)
    out = f.matmul(probs, vh)  # [N, H, L, hd]
    out = f.reshape(f.transpose(out, [0, 2, 1, 3]), (q.shape[0], q.shape[1],
                                                     e))
    out = f.linear(out, em.p(m.out_proj, "weight", path + ".out_proj"),
                   em.p(m.out_proj, "bias", path + ".out_proj")
                   if m.out_proj.bias is not None else None)
    if not m.batch_first:
        out = f.swap(out, 0, 1)
    return (out, None)


def _reversible_block(em, n, m, path):
    if em.fn is not em.exporter.top:
        raise ExportError("a ReversibleBlock inside F or G of another is not "
                          "supported")
    x1, x2 = em.tensor(n.args[0]), em.tensor(n.args[1])
    context = [em.tensor(c, "context") for c in n.args[2:]]
    if n.kwargs:
        raise ExportError("ReversibleBlock takes positional arguments only")
    if x1.elem not in ("f32", "f64") or x2.elem != x1.elem:
        raise ExportError("ReversibleBlock inputs must be float tensors of "
                          "one dtype")
    return em.exporter.block(em, m, path, x1, x2, context)


_MODULES = {
    torch.nn.Linear: _linear,
    torch.nn.LayerNorm: _layer_norm,
    torch.nn.Dropout: _dropout,
    torch.nn.GELU: _unary("gelu"),
    torch.nn.ReLU: _unary("relu"),
    torch.nn.Tanh: _unary("tanh"),
    torch.nn.Softmax: _softmax,
    torch.nn.Identity: _identity,
    torch.nn.Embedding: _embedding,
    torch.nn.Conv2d: _conv2d,
    torch.nn.MultiheadAttention: _multihead_attention,
    ReversibleBlock: _reversible_block,
}


def _holds_tensor(meta):
    if isinstance(meta, _Meta):
        return True
    if isinstance(meta, (tuple, list)) and not isinstance(meta, torch.Size):
        return any(_holds_tensor(m) for m in meta)
    return False


# --------------------------------------------------------------------------
# The exporter
# --------------------------------------------------------------------------

class _Exporter:
    def __init__(self, module):
        self.module = module
        self.names = {id(p): name for name, p in
                      module.named_parameters()}
        self.top = None
        self.bodies = {}  # function text (without name) -> name
        self.functions = []  # texts
        self.salts = 0
        self.bounds = {}  # input argument name -> index bound

    def param_path(self, tensor, fallback):
        return self.names.get(id(tensor), fallback)

    def bound_index(self, value, bound):
        if value.name.startswith("%a"):
            self.bounds[value.name] = bound

    def subfunction(self, module, path, inputs, tag):
        """F or G of a block as a private function; returns (name, params,
        uses key)."""
        gm = _trace(module, len(inputs))
        values = _record(gm, [_example(m) for m in inputs])
        fn = _Function(self, path)
        args = [fn.arg(m.shape, _elem(m.dtype, path)) for m in inputs]
        result = _GraphEmitter(self, fn, gm, values, path).run(args)
        if not isinstance(result, _Value) or result.shape != inputs[0].shape:
            raise ExportError(f"{path}: must return one tensor of its input's"
                              f" shape {list(inputs[0].shape)}")
        if result.elem != args[0].elem:
            raise ExportError(f"{path}: must return its input's dtype")
        sig = fn.signature()
        body = "\n".join(fn.lines + [f"  return {result.name} : "
                                     f"{result.type}"])
        text = f"({sig}) -> {result.type} {{\n{body}\n}}"
        name = self.bodies.get(text)
        if name is None:
            name = f"{tag}{len(self.bodies)}"
            self.bodies[text] = name
            self.functions.append(f"func.func private @{name}{text}")
        return name, list(fn.params.values()), fn.key is not None

    def block(self, em, m, path, x1, x2, context):
        top = self.top
        ctx_meta = [_Meta(c.shape, _DTYPE_OF[c.elem]) for c in context]
        x_meta = _Meta(x2.shape, _DTYPE_OF[x2.elem])
        y_meta = _Meta(x1.shape, _DTYPE_OF[x1.elem])
        operands = []
        for sub, arg_meta, tag in ((m.f, x_meta, "F"), (m.g, y_meta, "G")):
            name, params, keyed = self.subfunction(
                sub, f"{path}.{tag.lower()}", [arg_meta] + ctx_meta, tag)
            values = list(context) + [top.param(p.tensor, p.path)
                                      for p in params]
            if keyed:
                key = top.op(f"nn.fold_key {top.key_value()}, {self.salts}",
                             (), "i64")
                self.salts += 1
                values.append(key)
            vals = ", ".join(v.name for v in values)
            types = ", ".join("i64" if _is_key(v) else v.type
                              for v in values)
            operands.append(f"@{name}({vals} : {types})" if values
                            else f"@{name}()")
        y1, y2 = top.fresh(x1.shape, x1.elem), top.fresh(x2.shape, x2.elem)
        top.lines.append(f"  {y1.name}, {y2.name} = rev.block({x1.name}, "
                         f"{x2.name}) f {operands[0]} g {operands[1]} : "
                         f"{x1.type}, {x2.type}")
        return (y1, y2)

    def run(self, example_inputs):
        gm = _trace(self.module)
        values = _record(gm, example_inputs)
        fn = self.top = _Function(self, "")
        inputs = []
        for i, x in enumerate(example_inputs):
            if not isinstance(x, torch.Tensor):
                raise ExportError(f"input {i} is a {type(x).__name__}; "
                                  "inputs must be tensors")
            inputs.append(fn.arg(tuple(x.shape), _elem(x.dtype,
                                                        f"input {i}")))
        loss = _GraphEmitter(self, fn, gm, values, "").run(inputs)
        if not isinstance(loss, _Value) or loss.shape != ():
            raise ExportError("the module must return a scalar loss (a 0-d "
                              "tensor)")
        # Inputs are data: no gradient; integer inputs say their range.
        fn.args = [(v, "rev.no_grad" + (f", rev.index_bound = "
                                        f"{self.bounds[v.name]} : i64"
                                        if v.name in self.bounds else ""))
                   for v, _ in fn.args]
        body = "\n".join(fn.lines + [f"  return {loss.name} : {loss.type}"])
        header = (f"// Exported by pareprop.export from "
                  f"{type(self.module).__name__}")
        main = (f"func.func @loss({fn.signature()}) -> {loss.type} {{\n"
                f"{body}\n}}")
        self.params = [(p.path, p.tensor) for p in fn.params.values()]
        self.has_seed = fn.key is not None
        return "\n".join([header] + self.functions + [main]) + "\n"


_DTYPE_OF = {"f32": torch.float32, "f64": torch.float64, "i64": torch.int64}


def _is_key(v):
    return v.shape == () and v.elem == "i64"


@dataclass
class Exported:
    """The MLIR of a module and how to call it: ``params`` are (name,
    tensor) in argument order after the inputs; ``has_seed`` says whether a
    last i64 argument seeds dropout."""
    mlir: str
    params: list = field(default_factory=list)
    has_seed: bool = False


def export_module(module, example_inputs):
    exporter = _Exporter(module)
    text = exporter.run(list(example_inputs))
    return Exported(text, exporter.params, exporter.has_seed)


def export(module, example_inputs):
    """MLIR text of ``module`` (returning a scalar loss) traced on
    ``example_inputs``."""
    return export_module(module, example_inputs).mlir
