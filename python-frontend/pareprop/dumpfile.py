"""The text dump of a training step's inputs and results, as ``pareprop-run
--dump`` and GPU benchmark executables (``--dump``) write it
(include/pareprop/Runtime/TensorDump.h): reading it, comparing its result
sets with a reference, and checking it against PyTorch autograd on the
module it was exported from (``python3 -m pareprop check-dump``)."""

import copy
import sys

import torch

from .export import export_module


def read_dump(path):
    """(inputs {index: value}, results {name: {k: value}}, gradient argument
    indices from the header or None); a value is (dtype, shape, values),
    with an int for the value of an i64 scalar. Raises ValueError naming
    the problem for a malformed dump."""
    inputs, results, header_grads = {}, {}, None
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                tail = line.split("gradients of arguments", 1)
                if len(tail) == 2:
                    header_grads = [int(v) for v in tail[1].split()]
                continue
            if line.strip():
                rows.append(line.split())
    if len(rows) % 2:
        raise ValueError(f"{path}: truncated dump (a header without values)")
    for header, values in zip(rows[0::2], rows[1::2]):
        if header[0] not in ("arg", "result"):
            raise ValueError(f"{path}: unexpected line starting "
                             f"{header[0]!r}")
        dtype, rank = header[3], int(header[4])
        shape = tuple(int(d) for d in header[5:5 + rank])
        if dtype == "i64" and rank == 0:
            if len(values) != 1:
                raise ValueError(f"{path}: an i64 scalar with "
                                 f"{len(values)} values")
            value = ("i64", (), int(float(values[0])))
        else:
            value = (dtype, shape, [float(v) for v in values])
        if header[0] == "arg":
            inputs[int(header[1])] = value
        else:
            results.setdefault(header[1], {})[int(header[2])] = value
    return inputs, results, header_grads


def to_torch(value, dtype):
    """A dumped tensor as a torch tensor of ``dtype``. f32 values are
    written with the 9 digits that identify a float: they are rounded to
    float32 first, so that a wider reference sees exactly the values the
    step computed with."""
    kind, shape, values = value
    exact = {"f32": torch.float32, "f64": torch.float64,
             "i64": torch.float64}[kind]
    return torch.tensor(values, dtype=exact).to(dtype).reshape(shape)


def compare(results, reference, labels, rtol, to_tensor, out=print):
    """One PASS/FAIL line per result set: the largest difference of any
    result from the reference tensor, relative to the reference's largest
    magnitude. Returns whether all pass; raises ValueError when a set does
    not have the reference's results."""
    if not results:
        raise ValueError("the dump holds no results")
    ok = True
    for name, raw in results.items():
        if sorted(raw) != list(range(len(reference))):
            raise ValueError(f"{name} has {len(raw)} results, the model "
                             f"{len(reference)}: is it a dump of this model?")
        worst, where = 0.0, labels[0]
        for k, ref in enumerate(reference):
            got = to_tensor(raw[k])
            if got.shape != ref.shape:
                raise ValueError(f"result {k} of {name} ({labels[k]}) has "
                                 f"shape {tuple(got.shape)}, expected "
                                 f"{tuple(ref.shape)}")
            diff = (got - ref).abs().max().item() if ref.numel() else 0.0
            scale = ref.abs().max().item() if ref.numel() else 0.0
            rel = diff / scale if scale > 0 else diff
            # NaN counts as the worst, and stays the worst.
            if worst == worst and not rel <= worst:
                worst, where = rel, labels[k]
        passed = worst <= rtol
        ok &= passed
        out(f"torch autograd vs {name}: max relative difference "
            f"{worst:.3e} in {where} (tolerance {rtol:.0e}) "
            f"{'PASS' if passed else 'FAIL'}")
    return ok


def check_module(module, example_inputs, path, device="cpu", rtol=None,
                 out=print):
    """Checks every result set of a dump of ``module``'s compiled training
    step (as pareprop.export exported it from ``example_inputs``) against
    PyTorch autograd on the dumped inputs and weights: in f64 on the CPU,
    or in f32 on CUDA with TF32 off (default tolerance 1e-5 and 1e-3).
    Returns whether all pass; raises ValueError when the dump does not fit
    the module."""
    exported = export_module(module, example_inputs)
    if exported.has_seed:
        raise ValueError("the module draws dropout masks, which PyTorch "
                         "cannot replay: check it in eval mode")
    raw_inputs, results, header_grads = read_dump(path)
    n_in, params = len(example_inputs), exported.params
    if len(raw_inputs) != n_in + len(params):
        raise ValueError(f"the dump has {len(raw_inputs)} arguments, the "
                         f"module {n_in} inputs and {len(params)} "
                         "parameters: is it a dump of this model?")
    device = torch.device(device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("PyTorch sees no CUDA device")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        dtype, default_rtol = torch.float32, 1e-3
    else:
        dtype, default_rtol = torch.float64, 1e-5
    rtol = default_rtol if rtol is None else rtol

    def argument(i, shape):
        value = raw_inputs[i]
        if tuple(value[1]) != tuple(shape):
            raise ValueError(f"argument {i} has shape {tuple(value[1])}, "
                             f"expected {tuple(shape)}")
        return value

    model = copy.deepcopy(module).to(device=device, dtype=dtype)
    by_name = dict(model.named_parameters())
    with torch.no_grad():
        for k, (name, tensor) in enumerate(params):
            if name not in by_name:
                raise ValueError(f"the export's parameter {name} is not a "
                                 "parameter of the module")
            value = argument(n_in + k, tensor.shape)
            by_name[name].copy_(to_torch(value, dtype))
    inputs = []
    for i, x in enumerate(example_inputs):
        value = argument(i, x.shape)
        if x.dtype == torch.bool:    # Exported as f32 0/1.
            if any(v not in (0.0, 1.0) for v in value[2]):
                raise ValueError(
                    f"argument {i} is a boolean input (a mask) but the dump "
                    "holds values other than 0 and 1 (random inputs of "
                    "pareprop-run or a benchmark executable?): PyTorch "
                    "cannot take them")
            t = to_torch(value, torch.float64) != 0
        elif not x.dtype.is_floating_point:
            t = torch.tensor(value[2], dtype=torch.float64).to(x.dtype)
            t = t.reshape(value[1])
        else:
            t = to_torch(value, dtype)
        inputs.append(t.to(device))
    grad_args = header_grads if header_grads is not None else \
        list(range(n_in, n_in + len(params)))
    if any(not n_in <= i < n_in + len(params) for i in grad_args):
        raise ValueError(f"the dump has gradients of arguments {grad_args}, "
                         "not all of them parameters")
    names = [params[i - n_in][0] for i in grad_args]
    loss = model(*inputs)
    grads = torch.autograd.grad(loss, [by_name[n] for n in names],
                                allow_unused=True)
    reference = [loss.detach().cpu()] + [
        (g if g is not None else torch.zeros_like(by_name[n])).detach().cpu()
        for g, n in zip(grads, names)]
    labels = ["loss"] + [f"d({n})" for n in names]
    return compare(results, reference, labels, rtol,
                   lambda value: to_torch(value, dtype), out)


def main_check(module, example_inputs, path, device, rtol):
    try:
        return check_module(module, example_inputs, path, device, rtol)
    except (OSError, ValueError) as e:
        sys.exit(f"pareprop check-dump: {e}")
