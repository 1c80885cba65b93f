"""Compiled training steps through the C API (libPaRepropCAPI.so)."""

import ctypes
import json
import os
import re
import shutil
from pathlib import Path

import torch

from .export import export_module

_LIBRARY_NAME = "libPaRepropCAPI.so"
_lib = None


class CompileError(RuntimeError):
    """The compiler rejected the model; the message has its diagnostics."""


def _find_library():
    env = os.environ.get("PAREPROP_LIBRARY")
    candidates = [Path(env)] if env else []
    # The package as `cmake --install` copied it (share/pareprop/python, then
    # pip-installed from there) knows its installation's library.
    try:
        from . import _install_paths
        candidates.append(Path(_install_paths.LIBRARY))
    except ImportError:
        pass
    here = Path(__file__).resolve().parent
    # The checkout's build tree, an installation prefix around the package,
    # the prefix of the pareprop-opt on PATH, /usr/local.
    candidates += [here.parent.parent / "build" / "lib" / _LIBRARY_NAME,
                   here.parent.parent / "lib" / _LIBRARY_NAME]
    tool = shutil.which("pareprop-opt")
    if tool:
        candidates.append(Path(tool).resolve().parent.parent / "lib" /
                          _LIBRARY_NAME)
    candidates.append(Path("/usr/local/lib") / _LIBRARY_NAME)
    for c in candidates:
        if c.is_file():
            return str(c)
    raise CompileError(
        f"{_LIBRARY_NAME} not found (looked in "
        f"{', '.join(str(c) for c in candidates)}); build the project "
        "(bash utils/setup.sh) or set PAREPROP_LIBRARY")


def library_path():
    """The C API library ``pareprop`` loads (libPaRepropCAPI.so)."""
    return _find_library()


def library():
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(_find_library())
        lib.pareprop_schedule_names.restype = ctypes.c_char_p
        lib.pareprop_schedule_names.argtypes = []
        lib.pareprop_step_compile.restype = ctypes.c_void_p
        lib.pareprop_step_compile.argtypes = [
            ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.pareprop_step_signature.restype = ctypes.c_char_p
        lib.pareprop_step_signature.argtypes = [ctypes.c_void_p]
        lib.pareprop_step_run.restype = ctypes.c_int
        lib.pareprop_step_run.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int64),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.pareprop_step_last_peak_activation_bytes.restype = ctypes.c_int64
        lib.pareprop_step_last_peak_activation_bytes.argtypes = [
            ctypes.c_void_p]
        lib.pareprop_step_last_system_allocations.restype = ctypes.c_int64
        lib.pareprop_step_last_system_allocations.argtypes = [
            ctypes.c_void_p]
        lib.pareprop_buffer_pool_statistics.restype = None
        lib.pareprop_buffer_pool_statistics.argtypes = [
            ctypes.POINTER(ctypes.c_int64)] * 3
        lib.pareprop_buffer_pool_release.restype = None
        lib.pareprop_buffer_pool_release.argtypes = []
        lib.pareprop_check_schedules.restype = ctypes.c_int
        lib.pareprop_check_schedules.argtypes = [
            ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.c_char_p, ctypes.c_uint64, ctypes.c_double, ctypes.c_uint,
            ctypes.c_double, ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.pareprop_step_destroy.argtypes = [ctypes.c_void_p]
        lib.pareprop_string_free.argtypes = [ctypes.c_void_p]
        lib.pareprop_lower_torch_operators.restype = ctypes.c_void_p
        lib.pareprop_lower_torch_operators.argtypes = [
            ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.pareprop_torch_operators.restype = ctypes.c_char_p
        lib.pareprop_torch_operators.argtypes = []
        _lib = lib
    return _lib


def _take_string(lib, ptr):
    if not ptr.value:
        return "unknown error"
    msg = ctypes.string_at(ptr.value).decode(errors="replace")
    lib.pareprop_string_free(ptr)
    return msg


def lower_torch_operators(mlir):
    """The frontends' shared lowering (convert-aten-to-nn, see
    pareprop-c/Frontend.h): ``mlir`` with its ``aten.call`` ops lowered to
    ``nn``, as text. Raises ValueError with the diagnostics ("<message> at
    <module path>") when an operator or one of its arguments is not
    supported."""
    lib = library()
    err = ctypes.c_void_p()
    out = lib.pareprop_lower_torch_operators(mlir.encode(), ctypes.byref(err))
    if not out:
        raise ValueError(_take_string(lib, err))
    return _take_string(lib, ctypes.c_void_p(out))


def torch_operators():
    """The torch operators the shared lowering supports (ATen names)."""
    return tuple(library().pareprop_torch_operators().decode().split(","))


_TORCH_DTYPES = {"f32": torch.float32, "f64": torch.float64,
                 "i64": torch.int64, "i32": torch.int32}


class CompiledFunction:
    """One compiled function of an MLIR model (see pareprop-c/TrainingStep.h):
    called with a list of tensors in argument order, returns the results."""

    def __init__(self, mlir, schedule, func=None, options=""):
        lib = library()
        err = ctypes.c_void_p()
        handle = lib.pareprop_step_compile(
            mlir.encode(), func.encode() if func else None, schedule.encode(),
            options.encode(), ctypes.byref(err))
        if not handle:
            raise CompileError(_take_string(lib, err))
        self._handle = handle
        self.signature = json.loads(lib.pareprop_step_signature(handle))
        self.peak_bytes = 0
        self.peak_activation_bytes = 0
        self.system_allocations = 0

    def __del__(self):
        if getattr(self, "_handle", None) and _lib is not None:
            _lib.pareprop_step_destroy(self._handle)
            self._handle = None

    def __call__(self, args):
        lib = library()
        specs = self.signature["args"]
        if len(args) != len(specs):
            raise TypeError(f"expected {len(specs)} arguments, got {len(args)}")
        keep = []
        pointers = (ctypes.c_void_p * len(args))()
        for i, (a, spec) in enumerate(zip(args, specs)):
            if spec["type"] == "i64":
                t = torch.tensor([int(a)], dtype=torch.int64)
            else:
                dtype = _TORCH_DTYPES[spec["dtype"]]
                t = torch.as_tensor(a).detach().to(dtype).contiguous()
                if tuple(t.shape) != tuple(spec["shape"]):
                    raise ValueError(
                        f"argument {i}: shape {list(t.shape)}, compiled for "
                        f"{spec['shape']}")
            keep.append(t)
            pointers[i] = t.data_ptr()
        outs = [torch.empty(r["shape"], dtype=_TORCH_DTYPES[r["dtype"]])
                for r in self.signature["results"]]
        out_ptrs = (ctypes.c_void_p * len(outs))(*[o.data_ptr() for o in outs])
        peak = ctypes.c_int64(0)
        err = ctypes.c_void_p()
        status = lib.pareprop_step_run(self._handle, pointers, out_ptrs,
                                       ctypes.byref(peak), ctypes.byref(err))
        if status == 2:
            # An id or label out of range; the step did not run.
            raise IndexError(_take_string(lib, err))
        if status:
            raise RuntimeError(_take_string(lib, err))
        self.peak_bytes = peak.value
        self.peak_activation_bytes = \
            lib.pareprop_step_last_peak_activation_bytes(self._handle)
        self.system_allocations = \
            lib.pareprop_step_last_system_allocations(self._handle)
        return outs


def buffer_pool_statistics():
    """The buffer pool all compiled code allocates from: a dict with
    ``reserved_bytes`` (held now, in use and cached), ``peak_reserved_bytes``
    and ``system_allocations`` (blocks taken from the system so far)."""
    values = [ctypes.c_int64(0) for _ in range(3)]
    library().pareprop_buffer_pool_statistics(
        *[ctypes.byref(v) for v in values])
    return dict(zip(("reserved_bytes", "peak_reserved_bytes",
                     "system_allocations"), (v.value for v in values)))


def release_cached_buffers():
    """Gives the buffer pool's unused blocks back to the system (what
    ``torch.cuda.empty_cache`` does for PyTorch's caching allocator)."""
    library().pareprop_buffer_pool_release()


def schedules():
    """The schedule names ``compile`` takes: the compiler's one table
    (``stored`` is ordinary backprop), as pareprop-run and the C API take."""
    return tuple(library().pareprop_schedule_names().decode().split(","))


def check_schedules(mlir, schedules=("stored", "vanilla", "pareprop"),
                    func=None, options="", seed=0, rtol=-1.0, fd_samples=0,
                    fd_rtol=-1.0):
    """The checking harness ``pareprop-run`` uses, through the C API:
    compile ``mlir``'s training step under each schedule (the first is the
    reference), run all on the same inputs drawn from ``seed``, compare loss
    and gradients with the reference's within ``rtol`` (negative: 1e-9 for
    f64 models, 1e-4 for f32) and, with ``fd_samples`` > 0, the reference's
    gradients with finite differences of the loss. Returns the report, a
    dict with ``passed``, ``tolerance``, ``schedules`` (``schedule``,
    ``loss``, ``error``, ``passed`` each) and ``finite_differences``."""
    lib = library()
    report = ctypes.c_void_p()
    err = ctypes.c_void_p()
    status = lib.pareprop_check_schedules(
        mlir.encode(), func.encode() if func else None,
        ",".join(schedules).encode(), options.encode(), seed, rtol,
        fd_samples, fd_rtol, ctypes.byref(report), ctypes.byref(err))
    if status < 0:
        raise CompileError(_take_string(lib, err))
    return json.loads(_take_string(lib, report))


class TrainingStep:
    """``step(*inputs) -> (loss, grads)``: the compiled training step of a
    module. ``grads`` maps ``module.named_parameters()`` names to gradient
    tensors computed by the compiled code. Parameters are read from the
    module at every call, so an optimizer may update them in between."""

    def __init__(self, module, example_inputs, schedule="auto", target="cpu",
                 options=""):
        names = schedules()
        if schedule not in names:
            hint = ("; ordinary backprop is 'stored'"
                    if schedule == "standard" else "")
            raise ValueError(f"unknown schedule {schedule!r} (expected one of"
                             f" {', '.join(names)}){hint}")
        if target != "cpu":
            raise ValueError(f"target {target!r}: only 'cpu' runs compiled "
                             "steps today (see docs/frontends.md)")
        self.module = module
        self.schedule = schedule
        self.exported = export_module(module, example_inputs)
        self.mlir = self.exported.mlir
        self.num_inputs = len(example_inputs)
        self.function = CompiledFunction(self.mlir, schedule, options=options)
        sig = self.function.signature
        self.policy = ("stored" if schedule == "stored" else
                       sig.get("policy", schedule))
        self.predicted_seconds = sig.get("predicted_seconds")
        self.predicted_peak_bytes = sig.get("predicted_peak_bytes")
        names = [n for n, _ in self.exported.params]
        self.result_names = []
        for r in sig["results"][1:]:
            self.result_names.append(names[r["arg"] - self.num_inputs])

    @property
    def peak_bytes(self):
        """Most memory the compiled code held during the last step."""
        return self.function.peak_bytes

    @property
    def peak_activation_bytes(self):
        """Most memory the last step held at once in buffers other than the
        gradients it returns: activations, recomputed internals and
        temporaries."""
        return self.function.peak_activation_bytes

    @property
    def system_allocations(self):
        """Buffers the last step took from the system rather than from the
        pool of freed ones: none or a few once the step has run before."""
        return self.function.system_allocations

    def arguments(self, inputs, seed=None):
        if len(inputs) != self.num_inputs:
            raise TypeError(f"expected {self.num_inputs} inputs, got "
                            f"{len(inputs)}")
        args = [x.to(torch.float32) if x.dtype == torch.bool else x
                for x in inputs]
        args += [t for _, t in self.exported.params]
        if self.exported.has_seed:
            if seed is None:
                seed = int(torch.randint(0, 2**62, (1,)).item())
            args.append(seed)
        return args

    def __call__(self, *inputs, seed=None):
        try:
            results = self.function(self.arguments(inputs, seed))
        except IndexError as e:
            # The step's first arguments are the module's inputs.
            m = re.match(r"argument (\d+) ", str(e))
            if m and int(m.group(1)) < self.num_inputs:
                raise IndexError(f"input {m.group(1)} of "
                                 f"{type(self.module).__name__}"
                                 f"{str(e)[len('argument ') + len(m.group(1)):]}"
                                 ) from None
            raise
        loss = results[0]
        grads = dict(zip(self.result_names, results[1:]))
        return loss, grads


def compile(module, example_inputs, schedule="auto", target="cpu",
            options=""):
    """Compile ``module``'s training step (``module(*example_inputs)`` is a
    scalar loss). ``schedule``: "auto" (the scheduler picks), "pareprop",
    "vanilla" (reversible backprop without overlap), "stored" (ordinary
    backprop, activations stored) or "list". ``options`` passes further
    rev-to-llvm pipeline options, e.g. "lookahead=2 memory-budget=8MiB"."""
    return TrainingStep(module, list(example_inputs), schedule, target,
                        options)


_SPEC_ELEMS = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64",
               torch.int32: "i64", torch.bool: "i1"}


def save_torchscript(module, example_inputs, path):
    """Trace ``module`` on ``example_inputs`` and save it as TorchScript for
    ``pareprop-import``, with the example input shapes in the archive."""
    specs = []
    for x in example_inputs:
        specs.append("".join(f"{d}x" for d in x.shape) + _SPEC_ELEMS[x.dtype])
    traced = torch.jit.trace(module, tuple(example_inputs), check_trace=False)
    torch.jit.save(traced, str(path),
                   _extra_files={"pareprop_inputs": "\n".join(specs)})
    return traced
