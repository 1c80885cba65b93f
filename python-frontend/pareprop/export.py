"""torch.fx -> MLIR in the ``rev`` and ``nn`` dialects.

``export(module, example_inputs)`` traces ``module`` (which returns a scalar
loss) with torch.fx. Every :class:`pareprop.nn.ReversibleBlock` becomes one
``rev.block`` op whose F and G are private functions (shared between blocks
whose F or G have the same code); parameters become arguments of the loss
function, named by ``module.named_parameters()`` in the ``rev.param``
argument attribute. Shapes are static: they are those of ``example_inputs``.

Every other call (a torch function, a Tensor method, a torch.nn module) is
written as an ``aten.call`` of the ATen operator it calls, its arguments
named as in the operator's schema; the C++ table of ``convert-aten-to-nn``
(through the C API) lowers those to ``nn``. pareprop-import's TorchScript
path writes and lowers the same calls, so an operator is added once, there.
"""

import contextlib
import dis
import inspect
import math
import operator
import re
import struct
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


def _quoted(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _f64(v):
    """An f64 attribute; infinities and NaN by their bits, which MLIR's float
    literals do not spell."""
    v = float(v)
    if math.isfinite(v):
        return "{:.17e} : f64".format(v)
    return "0x{:016X} : f64".format(struct.unpack("<Q", struct.pack("<d",
                                                                    v))[0])


def _attribute(v):
    """An aten.call argument as an MLIR attribute, or None when it says
    nothing the lowering reads (devices, memory formats)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v} : i64"
    if isinstance(v, float):
        return _f64(v)
    if isinstance(v, str):
        return _quoted(v)
    if isinstance(v, torch.dtype):
        return _quoted(str(v))
    if isinstance(v, (tuple, list, torch.Size)) and all(
            isinstance(x, int) and not isinstance(x, bool) for x in v):
        return "array<i64" + (": " + ", ".join(str(x) for x in v)
                              if len(v) else "") + ">"
    return None


@dataclass
class _Value:
    name: str
    shape: tuple
    elem: str

    @property
    def type(self):
        if self is _KEY:
            return "i64"
        return _tensor_type(self.shape, self.elem)

    @property
    def rank(self):
        return len(self.shape)


# The dropout key of the function being written (an i64, not a tensor).
_KEY = _Value("%key", (), "i64")


@dataclass
class _Param:
    tensor: torch.Tensor
    path: str
    value: _Value


_LOC = re.compile(r' loc\("[^"]*"\)$')


class _Function:
    """One func.func being written: its body, its arguments, and the
    parameters and dropout key it needs. Its ops are PyTorch operator calls
    (aten.call, ATen schema names), which convert-aten-to-nn lowers to nn
    with the table the TorchScript importer's calls go through too."""

    def __init__(self, exporter, path):
        self.exporter = exporter
        self.path = path  # Module path, for error messages.
        self.lines = []
        self.args = []  # (_Value, attrs)
        self.params = {}  # id(tensor) -> _Param
        self.key = None
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
        self.key = "%key"
        return _KEY

    def op(self, text, shape, elem):
        v = self.fresh(shape, elem)
        self.lines.append(f"  {v.name} = {text}")
        return v

    def call(self, name, operands, args, results, where):
        """One aten.call of operator `name`: `operands` are (schema name,
        value) pairs, `args` the other arguments by schema name (None ones
        left out), `results` the (shape, elem) of each result. Returns the
        result values."""
        first = self.fresh((), "")
        values = [_Value(first.name + (f"#{i}" if len(results) > 1 else ""),
                         tuple(shape), elem)
                  for i, (shape, elem) in enumerate(results)]
        attrs = []
        for k, v in args.items():
            a = _attribute(v)
            if a is not None:
                attrs.append(f"{k} = {a}")
        names = ", ".join(_quoted(k) for k, _ in operands)
        types = ", ".join(v.type for v in values)
        head = first.name + (f":{len(values)}" if len(values) > 1 else "")
        self.lines.append(
            f"  {head} = aten.call {_quoted(name)}("
            f"{', '.join(v.name for _, v in operands)}) {{operand_names = "
            f"[{names}], args = {{{', '.join(attrs)}}}}} : ("
            f"{', '.join(v.type for _, v in operands)}) -> "
            f"{types if len(values) == 1 else '(' + types + ')'}"
            f" loc({_quoted(where)})")
        return values

    def call1(self, name, operands, args, shape, elem, where):
        return self.call(name, operands, args, [(shape, elem)], where)[0]

    def body_key(self):
        """The body without locations: functions of equal code are one."""
        return [_LOC.sub("", line) for line in self.lines]

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
# fx nodes -> aten.calls
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


def _bind_schema(name, args, kwargs):
    """`args` and `kwargs` of a call of aten::`name` by the argument names
    of the first of its overloads that takes them (as TorchScript names
    them): extra integers or tensors after a list argument are that list
    (`x.view(2, 3)`, `torch.broadcast_tensors(a, b)`), Python's `input` is
    ATen's `self`."""
    packet = getattr(torch.ops.aten, name)
    kwargs = {k: v for k, v in kwargs.items()
              if not (k == "inplace" and v is False)}
    for overload in packet.overloads():
        if overload == "out" or overload.endswith("_out") or \
                overload.startswith("names"):
            continue
        bound = _try_bind(getattr(packet, overload)._schema, args, kwargs)
        if bound is not None:
            return bound
    raise ExportError(f"no overload of aten::{name} takes these arguments")


def _try_bind(schema, args, kwargs):
    params = list(schema.arguments)
    positional = [p for p in params if not p.kwarg_only]
    args = list(args)
    if len(args) > len(positional):
        if not positional or not isinstance(positional[-1].type,
                                            torch._C.ListType):
            return None
        k = len(positional) - 1
        if not (all(isinstance(a, int) for a in args[k:]) or
                all(isinstance(a, _Value) for a in args[k:])):
            return None
        args = args[:k] + [tuple(args[k:])]
    names = {p.name for p in params}
    out = {p.name: a for p, a in zip(positional, args)}
    for k, v in kwargs.items():
        if k not in names and k == "input" and "self" in names:
            k = "self"
        if k not in names or k in out:
            return None
        out[k] = v
    for p in params:
        optional = isinstance(p.type, torch._C.OptionalType)
        if p.name not in out and not optional and not p.has_default_value():
            return None
    return out


def _aten_name(node):
    """The ATen operator an fx call_function or call_method node calls, by
    name (torch.tanh, F.gelu, Tensor.view: tanh, gelu, view)."""
    if node.op == "call_method":
        name = _METHOD_NAMES.get(node.target, node.target)
    else:
        name = _FUNCTION_NAMES.get(node.target,
                                   getattr(node.target, "__name__", ""))
    return name if name and hasattr(torch.ops.aten, name) else None


# Python callables and methods named otherwise than their ATen operator.
_FUNCTION_NAMES = {operator.truediv: "div", operator.getitem: None}
_METHOD_NAMES = {"float": "to", "__getitem__": None}

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


class _GraphEmitter:
    """Writes one traced graph into a _Function."""

    def __init__(self, exporter, fn, gm, values, path):
        self.exporter = exporter
        self.fn = fn
        self.gm = gm
        self.values = values  # Recorded shapes and constants.
        self.path = path
        self.env = {}
        self.loc = path or "<top>"  # Of the node being written.

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

    def module_path(self, n):
        stack = n.meta.get("nn_module_stack")
        inner = list(stack)[-1] if stack else ""
        return ".".join(p for p in (self.path, inner) if p) or "<top>"

    def where(self, n):
        return f"{self.module_path(n)} ({_target_name(n)})"

    def node(self, n):
        recorded = self.values.get(n)
        # Sizes and other Python values are compile-time constants.
        if not _holds_tensor(recorded):
            return recorded
        if n.op == "get_attr":
            return self.attribute(n)
        if n.op == "call_module":
            return self.module(n)
        self.loc = self.module_path(n)
        try:
            if n.op == "call_function" and n.target in _FUNCTIONS:
                return _FUNCTIONS[n.target](self, n, recorded)
            if n.op == "call_method" and n.target in _METHODS:
                return _METHODS[n.target](self, n, recorded)
            name = _aten_name(n)
            if name is None:
                raise ExportError(f"unsupported op {_target_name(n)}")
            args = self.value(tuple(n.args))
            kwargs = self.value(dict(n.kwargs))
            if name in ("add", "mul") and len(args) == 2 and isinstance(
                    args[1], _Value) and not isinstance(args[0], _Value):
                args = (args[1], args[0])  # 2 * x is x * 2.
            return self.aten(name, _bind_schema(name, args, kwargs),
                             recorded)
        except ExportError as e:
            if " at " in str(e):
                raise
            raise ExportError(f"{e} at {self.where(n)}") from None

    def aten(self, name, bound, recorded):
        """An aten.call of `bound` (schema name -> value) with the results
        `recorded` (a _Meta, or a tuple or list of them)."""
        operands, args = [], {}
        for k, v in bound.items():
            if isinstance(v, _Value):
                operands.append((k, v))
            elif isinstance(v, (tuple, list)) and any(isinstance(x, _Value)
                                                      for x in v):
                for x in v:
                    if not isinstance(x, _Value):
                        raise ExportError(f"argument {k} mixes tensors and "
                                          "other values")
                    operands.append((k, x))
            elif v is not None:
                args[k] = v
        # Dropout draws from the function's key: the call needs it, and the
        # function takes it, only when it drops something (as in
        # pareprop-import).
        if name == "dropout" and bound.get("train", True) and \
                bound.get("p", 0.5) != 0:
            operands.append(("key", self.fn.key_value()))
        metas = [recorded] if isinstance(recorded, _Meta) else list(recorded)
        if not all(isinstance(m, _Meta) for m in metas):
            raise ExportError(f"results of aten::{name} that are not all "
                              "tensors")
        values = self.fn.call(name, operands, args,
                              [(m.shape, _elem(m.dtype, self.loc))
                               for m in metas], self.loc)
        if isinstance(recorded, _Meta):
            return values[0]
        return type(recorded)(values)

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

    # Calls with their shapes worked out here: decompositions (attention,
    # indexing) and module calls --------------------------------------------

    def emit(self, name, operands, args, shape, elem=None):
        elem = elem or operands[0][1].elem
        return self.fn.call1(name, operands, args, shape, elem, self.loc)

    def linear(self, x, w, b=None):
        ops = [("input", x), ("weight", w)] + ([("bias", b)] if b else [])
        return self.emit("linear", ops, {}, x.shape[:-1] + (w.shape[0],))

    def view(self, x, shape):
        shape = tuple(shape)
        if shape == x.shape:
            return x
        return self.emit("view", [("self", x)], {"size": shape}, shape)

    def permute(self, x, dims):
        shape = tuple(x.shape[d] for d in dims)
        return self.emit("permute", [("self", x)], {"dims": tuple(dims)},
                         shape)

    def swap(self, x, d0, d1):
        d0, d1 = d0 % x.rank, d1 % x.rank
        if d0 == d1:
            return x
        shape = list(x.shape)
        shape[d0], shape[d1] = shape[d1], shape[d0]
        return self.emit("transpose", [("self", x)],
                         {"dim0": d0, "dim1": d1}, tuple(shape))

    def matmul(self, a, b):
        return self.emit("matmul", [("self", a), ("other", b)], {},
                         a.shape[:-1] + b.shape[-1:])

    def scale(self, x, factor):
        return self.emit("mul", [("self", x)], {"other": float(factor)},
                         x.shape)

    def add(self, a, b):
        return self.emit("add", [("self", a), ("other", b)], {},
                         _broadcast(a.shape, b.shape, self.loc))

    def softmax(self, x, dim):
        return self.emit("softmax", [("self", x)], {"dim": dim}, x.shape)

    def dropout(self, x, rate, training):
        return self.aten("dropout", {"input": x, "p": float(rate),
                                     "train": bool(training)},
                         _Meta(x.shape, _DTYPE_OF[x.elem]))

    def slice(self, x, dim, start, size):
        if size == x.shape[dim]:
            return x
        shape = list(x.shape)
        shape[dim] = size
        return self.emit("slice", [("self", x)],
                         {"dim": dim, "start": start, "end": start + size,
                          "step": 1}, tuple(shape))

    def getitem(self, n, r):
        base = self.value(n.args[0])
        index = self.value(n.args[1])
        if isinstance(base, (tuple, list)):
            return base[index]
        if not isinstance(base, _Value):
            raise ExportError(f"indexing a {type(base).__name__}")
        return self.index(base, index, r)

    def index(self, x, index, r):
        """Basic indexing: a slice per indexed dimension, then the recorded
        shape (integers drop their dimension, None adds one)."""
        if not isinstance(index, tuple):
            index = (index,)
        if any(i is Ellipsis for i in index):
            k = index.index(Ellipsis)
            fill = x.rank - (len(index) - 1 - sum(i is None for i in index))
            index = index[:k] + (slice(None),) * (fill - k) + index[k + 1:]
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
                x = self.slice(x, dim, i, 1)
            elif isinstance(i, slice):
                start, stop, step = i.indices(n)
                if step != 1:
                    raise ExportError("slices with a step are not supported")
                if stop <= start:
                    raise ExportError("empty slices are not supported")
                x = self.slice(x, dim, start, stop - start)
            else:
                raise ExportError(f"index {i!r} is not supported (integers, "
                                  "slices, ... and None)")
            dim += 1
        return self.view(x, r.shape)

    # Python functions whose signature is not their ATen schema's ------------

    def op_dropout(self, n, r):
        a = self.args(n, ["input", "p", "training", "inplace"],
                      {"p": 0.5, "training": True, "inplace": False})
        return self.dropout(self.tensor(a["input"]), a["p"], a["training"])

    def op_softmax(self, n, r):
        a = self.args(n, ["input", "dim", "_stacklevel", "dtype"],
                      {"dim": None, "dtype": None})
        return self.aten("softmax", {"self": a["input"], "dim": a["dim"],
                                     "dtype": a["dtype"]}, r)

    def op_embedding(self, n, r):
        a = self.args(n, ["input", "weight", "padding_idx", "max_norm",
                          "norm_type", "scale_grad_by_freq", "sparse"],
                      {"padding_idx": None, "max_norm": None,
                       "scale_grad_by_freq": False, "sparse": False})
        if a["max_norm"] is not None:
            raise ExportError("embedding with max_norm is not supported")
        return self.aten("embedding", {
            "weight": a["weight"], "indices": a["input"],
            "padding_idx": -1 if a["padding_idx"] is None
            else a["padding_idx"],
            "scale_grad_by_freq": a["scale_grad_by_freq"],
            "sparse": a["sparse"]}, r)

    def _reduction(self, a, name):
        if a["size_average"] is not None or a["reduce"] is not None or \
                a["reduction"] not in _REDUCTIONS:
            raise ExportError(f"{name} takes reduction='none', 'mean' or "
                              "'sum' (not size_average or reduce)")
        return _REDUCTIONS[a["reduction"]]

    def op_cross_entropy(self, n, r):
        a = self.args(n, ["input", "target", "weight", "size_average",
                          "ignore_index", "reduce", "reduction",
                          "label_smoothing"],
                      {"weight": None, "size_average": None,
                       "ignore_index": -100, "reduce": None,
                       "reduction": "mean", "label_smoothing": 0.0})
        return self.aten("cross_entropy_loss", {
            "self": a["input"], "target": a["target"], "weight": a["weight"],
            "reduction": self._reduction(a, "cross_entropy"),
            "ignore_index": a["ignore_index"],
            "label_smoothing": a["label_smoothing"]}, r)

    def op_mse_loss(self, n, r):
        a = self.args(n, ["input", "target", "size_average", "reduce",
                          "reduction"], {"size_average": None, "reduce": None,
                                         "reduction": "mean"})
        return self.aten("mse_loss", {
            "self": a["input"], "target": a["target"],
            "reduction": self._reduction(a, "mse_loss")}, r)

    # Modules ---------------------------------------------------------------------

    def module(self, n):
        m = self.gm.get_submodule(n.target)
        path = ".".join(p for p in (self.path, n.target) if p)
        handler = _MODULES.get(type(m))
        if handler is None:
            raise ExportError(f"unsupported module {type(m).__name__} at "
                              f"{path}")
        self.loc = path
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

    def optional_p(self, m, name, path):
        return self.p(m, name, path) if getattr(m, name) is not None else None


_FUNCTIONS = {
    operator.getitem: _GraphEmitter.getitem,
    F.dropout: _GraphEmitter.op_dropout,
    F.softmax: _GraphEmitter.op_softmax,
    F.embedding: _GraphEmitter.op_embedding,
    F.cross_entropy: _GraphEmitter.op_cross_entropy,
    F.mse_loss: _GraphEmitter.op_mse_loss,
}

_METHODS = {"__getitem__": _GraphEmitter.getitem}


def _linear(em, n, m, path):
    x = em.tensor(n.args[0])
    return em.linear(x, em.p(m, "weight", path),
                     em.optional_p(m, "bias", path))


def _layer_norm(em, n, m, path):
    x = em.tensor(n.args[0])
    ops = [("input", x)]
    if m.elementwise_affine:
        ops += [("weight", em.p(m, "weight", path)),
                ("bias", em.p(m, "bias", path))]
    return em.emit("layer_norm", ops,
                   {"normalized_shape": tuple(m.normalized_shape),
                    "eps": float(m.eps)}, x.shape)


def _dropout(em, n, m, path):
    return em.dropout(em.tensor(n.args[0]), m.p, m.training)


def _unary(name):
    def emit(em, n, m, path):
        x = em.tensor(n.args[0])
        args = {"approximate": m.approximate} if name == "gelu" else {}
        return em.emit(name, [("self", x)], args, x.shape)
    return emit


def _softmax(em, n, m, path):
    x = em.tensor(n.args[0])
    return em.emit("softmax", [("self", x)], {"dim": m.dim}, x.shape)


def _identity(em, n, m, path):
    return em.tensor(n.args[0])


def _embedding(em, n, m, path):
    if m.max_norm is not None:
        raise ExportError("Embedding with max_norm is not supported")
    ids = em.tensor(n.args[0])
    weight = em.p(m, "weight", path)
    return em.emit("embedding", [("weight", weight), ("indices", ids)],
                   {"padding_idx": -1 if m.padding_idx is None
                    else m.padding_idx,
                    "scale_grad_by_freq": m.scale_grad_by_freq,
                    "sparse": m.sparse}, ids.shape + (weight.shape[1],),
                   weight.elem)


def _conv2d(em, n, m, path):
    x = em.tensor(n.args[0])
    if m.padding_mode != "zeros":
        raise ExportError("Conv2d with padding_mode "
                          f"{m.padding_mode!r} is not supported")
    padding = (0, 0) if m.padding == "valid" else m.padding
    if isinstance(padding, str):
        raise ExportError(f"Conv2d with padding {padding!r} is not "
                          "supported")
    ops = [("input", x), ("weight", em.p(m, "weight", path))]
    if m.bias is not None:
        ops.append(("bias", em.p(m, "bias", path)))
    return em.aten("conv2d", dict(ops) | {
        "stride": tuple(m.stride), "padding": tuple(padding),
        "dilation": tuple(m.dilation), "groups": m.groups},
        em.values[n])


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
    for u in n.users:
        if not (u.op == "call_function" and u.target is operator.getitem and
                u.args[1] == 0) and u.users:
            raise ExportError("the attention weights output is not supported "
                              "(use only the first output)")
    q, k, v = (em.tensor(a[x]) for x in ("query", "key", "value"))
    if not m.batch_first:  # [L, N, E] -> [N, L, E]
        q, k, v = (em.swap(t, 0, 1) for t in (q, k, v))
    e, heads = m.embed_dim, m.num_heads
    hd = e // heads
    w = em.p(m, "in_proj_weight", path)
    bias = em.optional_p(m, "in_proj_bias", path)

    def project(t, i):
        wi = em.slice(w, 0, i * e, e)
        bi = em.slice(bias, 0, i * e, e) if bias is not None else None
        y = em.view(em.linear(t, wi, bi), (t.shape[0], t.shape[1], heads, hd))
        return em.permute(y, [0, 2, 1, 3])  # [N, H, L, hd]

    qh, kh, vh = project(q, 0), project(k, 1), project(v, 2)
    scores = em.scale(em.matmul(qh, em.swap(kh, -2, -1)),
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
        bias_mask = em.view(em.scale(mask, -1e9),
                            (q.shape[0], 1, 1, k.shape[1]))
        scores = em.add(scores, bias_mask)
    probs = em.dropout(em.softmax(scores, -1), m.dropout, m.training)
    out = em.matmul(probs, vh)  # [N, H, L, hd]
    out = em.view(em.permute(out, [0, 2, 1, 3]), (q.shape[0], q.shape[1], e))
    out = em.linear(out, em.p(m.out_proj, "weight", path + ".out_proj"),
                    em.optional_p(m.out_proj, "bias", path + ".out_proj"))
    if not m.batch_first:
        out = em.swap(out, 0, 1)
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
        self.bodies = {}  # function code (without locations) -> name
        self.functions = []  # texts
        self.salts = 0

    def param_path(self, tensor, fallback):
        return self.names.get(id(tensor), fallback)

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
        ret = f"  return {result.name} : {result.type}"
        body = "\n".join(fn.lines + [ret])
        text = f"({sig}) -> {result.type} {{\n{body}\n}}"
        # Blocks whose F (or G) has the same code share one function; the
        # calls' locations (module paths) are the first block's.
        key = (sig, result.type, tuple(fn.body_key()), ret)
        name = self.bodies.get(key)
        if name is None:
            name = f"{tag}{len(self.bodies)}"
            self.bodies[key] = name
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
                key = top.op(f"nn.fold_key {top.key_value().name}, "
                             f"{self.salts}",
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
        # Inputs are data: no gradient. (Integer inputs get their range,
        # rev.index_bound, from the lowering of the ops that index with
        # them.)
        fn.args = [(v, "rev.no_grad") for v, _ in fn.args]
        body = "\n".join(fn.lines + [f"  return {loss.name} : {loss.type}"])
        header = (f"// Exported by pareprop.export from "
                  f"{type(self.module).__name__}")
        main = (f"func.func @loss({fn.signature()}) -> {loss.type} {{\n"
                f"{body}\n}}")
        self.params = [(p.path, p.tensor) for p in fn.params.values()]
        self.has_seed = fn.key is not None
        return "\n".join([header] + self.functions + [main]) + "\n"


def _lower(text):
    """The torch operators of `text` lowered to nn by the C++ table both
    frontends share (convert-aten-to-nn, through the C API)."""
    from . import runtime
    try:
        return runtime.lower_torch_operators(text)
    except ValueError as e:
        raise ExportError(str(e)) from None


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


def export_module(module, example_inputs, lower=True):
    exporter = _Exporter(module)
    text = exporter.run(list(example_inputs))
    return Exported(_lower(text) if lower else text, exporter.params,
                    exporter.has_seed)


def export(module, example_inputs, lower=True):
    """MLIR text of ``module`` (returning a scalar loss) traced on
    ``example_inputs``. ``lower=False`` gives the PyTorch operator calls
    (``aten.call``) before the shared lowering turns them into ``nn`` ops."""
    return export_module(module, example_inputs, lower).mlir
