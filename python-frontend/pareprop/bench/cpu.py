"""CPU benchmark: compiled training steps against PyTorch eager on the same
module and weights, in one run.

Ours: ``stored`` (ordinary backprop), ``vanilla``, ``pareprop`` and
``auto``, each compiled once by ``pareprop.compile``. PyTorch eager:

* ``stored``: ``loss.backward()``;
* ``vanilla``: the reversible stack as one ``autograd.Function`` that keeps
  only the stack's outputs and, in its backward, rebuilds each block's inputs
  and back-propagates through it (RevViT's implementation);
* ``pareprop``: the same, with the recompute of block k-1 on a second thread
  while the gradient of block k runs (PaReprop's schedule).

Each PyTorch variant runs under 1 and 2 intra-op threads and keeps the faster.
Step time: median over ``steps`` steps after ``warmup``. Peak memory: ours is
the compiled step's allocator high-water mark (every buffer the step
allocates: activations, recomputed internals, gradients, temporaries);
PyTorch's is measured in a fresh process that makes glibc map every block of
64 KiB or more on its own (``mallopt(M_MMAP_THRESHOLD)``, so a freed tensor
leaves the resident set at once), as the growth of the peak resident set
during one step (``VmHWM`` in ``/proc/self/status``, reset through
``/proc/self/clear_refs``) over the resident set before it, gradients freed.

Peak activation memory (``peak_activation_bytes``) leaves out the parameter
gradients, which every training step produces whatever its schedule and
which grow with depth in any case. Ours: the most the step held at once in
buffers other than its results (the runtime logs every allocation and free
of the step). PyTorch's: the same resident-set growth, measured in a second
step whose gradients were allocated (zeroed) before it, so that backward
accumulates into them.

Work bound: the issue's yardstick for keeping every core busy, the sum of
the single-thread op times of the reversible step divided by the number of
cores. Measured as our ``vanilla`` step (every op of the reversible step,
one after the other) compiled without kernel splitting and run with
``PAREPROP_KERNEL_THREADS=1`` (products on one thread), in a process of its
own; reported as a ``work-bound`` row (``impl`` "pareprop") whose step time
is that single-thread time over ``os.cpu_count()``.
"""

import concurrent.futures
import contextlib
import copy
import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import time

import torch

from .. import zoo
from ..demo import _max_rel_diff, _torch_step
from ..nn import ReversibleSequence
from ..runtime import compile as compile_step

#: RevViT-Tiny-like blocks: dim 192, 3 heads, 196 tokens (224x224 images,
#: 16x16 patches), the zoo's MLP ratio of 2. The issue's configurations:
#: batch 4 depth 8, then batch 1 and 8, depth 4 and 24.
CONFIGS = {
    "tiny-b4-d8": dict(batch=4, depth=8),
    "tiny-b1-d8": dict(batch=1, depth=8),
    "tiny-b8-d8": dict(batch=8, depth=8),
    "tiny-b4-d4": dict(batch=4, depth=4),
    "tiny-b4-d24": dict(batch=4, depth=24),
    # Small enough for the test suite.
    "small-b2-d3": dict(batch=2, depth=3, image_size=32, patch=8, dim=32,
                        heads=2),
}

TINY = dict(image_size=224, patch=16, dim=192, heads=3)


def _model(config):
    options = dict(TINY)
    options.update(CONFIGS[config])
    module, inputs = zoo.revvit(**options)
    module.eval()  # No dropout: every implementation computes the same.
    return module, inputs, options


# --- PyTorch reversible backward -------------------------------------------

def _recompute(block, y1, y2, extra):
    """Rebuilds a block's inputs from its outputs, keeping the graphs of F
    and G for the gradient: x2 = y2 - G(y1), x1 = y1 - F(x2). `extra`: the
    stack's context (a padding mask), if any, which F and G also read."""
    with torch.enable_grad():
        y1 = y1.detach().requires_grad_()
        g = block.g(y1, *extra)
    with torch.no_grad():
        x2 = y2 - g
    with torch.enable_grad():
        x2 = x2.detach().requires_grad_()
        f = block.f(x2, *extra)
    with torch.no_grad():
        x1 = y1 - f
    return (y1, g, x2, f), x1, x2


def _gradient(state, dy1, dy2):
    """Back-propagates (dy1, dy2) through one block whose graphs _recompute
    built; parameter gradients accumulate in .grad."""
    y1, g, x2, f = state
    torch.autograd.backward(g, dy2)
    dy1 = dy1 + y1.grad
    torch.autograd.backward(f, dy1)
    return dy1, dy2 + x2.grad


class _ReversibleStack(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x1, x2, context, blocks, pool):
        extra = () if context is None else (context,)
        with torch.no_grad():
            for block in blocks:
                x1, x2 = block(x1, x2, *extra)
        ctx.blocks, ctx.pool, ctx.extra = blocks, pool, extra
        ctx.save_for_backward(x1, x2)
        return x1, x2

    @staticmethod
    def backward(ctx, dy1, dy2):
        y1, y2 = ctx.saved_tensors
        blocks, pool, extra = list(ctx.blocks), ctx.pool, ctx.extra
        state, x1, x2 = _recompute(blocks[-1], y1, y2, extra)
        for k in range(len(blocks) - 1, -1, -1):
            # PaReprop: rebuild block k-1 on the pool's thread while block
            # k's gradient runs here; vanilla rebuilds it afterwards.
            ahead = (pool.submit(_recompute, blocks[k - 1], x1, x2, extra)
                     if pool is not None and k > 0 else None)
            dy1, dy2 = _gradient(state, dy1, dy2)
            if k > 0:
                state, x1, x2 = (ahead.result() if ahead is not None else
                                 _recompute(blocks[k - 1], x1, x2, extra))
        return dy1, dy2, None, None, None


@contextlib.contextmanager
def run_stacks_as(module, function, helper):
    """Runs every ReversibleSequence of `module` through the reversible
    autograd.Function `function` (a _ReversibleStack), which gets `helper`
    as its last argument, while the context is active."""
    stacks = [m for m in module.modules() if isinstance(m, ReversibleSequence)]

    def run(stack):
        def forward(x1, x2, context=None):
            return function.apply(x1, x2, context, stack.blocks, helper)
        return forward

    for s in stacks:
        s.forward = run(s)
    try:
        yield
    finally:
        for s in stacks:
            del s.forward


@contextlib.contextmanager
def _reversible(module, overlap):
    """Runs every ReversibleSequence of `module` through _ReversibleStack
    (with a helper thread if `overlap`) while the context is active."""
    pool = concurrent.futures.ThreadPoolExecutor(1) if overlap else None
    try:
        with run_stacks_as(module, _ReversibleStack, pool):
            yield
    finally:
        if pool is not None:
            pool.shutdown()


# --- Measurement ------------------------------------------------------------

def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def measure_torch_peak(config, schedule):
    """Peak memory of one PyTorch step, with gradients freed before it and
    with gradients allocated before it (see the module's docstring), as
    "total activation" bytes; run in a process of its own. None where /proc
    cannot reset the peak."""
    libc = ctypes.CDLL("libc.so.6")
    M_MMAP_THRESHOLD = -3
    libc.mallopt(M_MMAP_THRESHOLD, 64 * 1024)
    torch.set_num_threads(1)
    module, inputs, _ = _model(config)
    overlap = {"stored": None, "vanilla": False, "pareprop": True}[schedule]
    ctx = (_reversible(module, overlap) if overlap is not None
           else contextlib.nullcontext())
    peaks = []
    with ctx:
        _torch_step(module, inputs)  # Warm-up: lazily built state.
        for grads_allocated in (False, True):
            module.zero_grad(set_to_none=not grads_allocated)
            gc.collect()
            try:
                with open("/proc/self/clear_refs", "w") as f:
                    f.write("5")
            except OSError:
                return None
            before = _status_kib("VmRSS")
            loss = module(*inputs)
            loss.backward()
            peak = _status_kib("VmHWM")
            if not (before and peak):
                return None
            peaks.append(max(0, peak - before) * 1024)
            del loss
    return f"{peaks[0]} {peaks[1]}"


def _in_fresh_process(call, what, **env_overrides):
    """Evaluates `pareprop.bench.cpu.<call>` in a fresh Python process (optionally with
    more environment variables) and returns the last line it printed."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    env = dict(os.environ, **env_overrides)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    code = f"from pareprop.bench import cpu; print(cpu.{call})"
    done = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n" + done.stderr)
    return done.stdout.strip().splitlines()[-1]


def _torch_peak(config, schedule):
    """measure_torch_peak in a fresh Python process: (total, activations)
    in bytes, or (None, None)."""
    value = _in_fresh_process(
        f"measure_torch_peak({config!r}, {schedule!r})",
        f"memory measurement of torch {schedule}")
    if value == "None":
        return None, None
    total, activations = value.split()
    return int(total), int(activations)


def measure_single_thread_step(config, steps, warmup):
    """Median step time (ms) of our vanilla step on one thread; run in a
    process whose environment has PAREPROP_KERNEL_THREADS=1."""
    module, inputs, _ = _model(config)
    step = compile_step(module, inputs, schedule="vanilla",
                        options="split-kernels=0")
    return _time(lambda: step(*inputs), steps, warmup)


def _single_thread_step(config, steps, warmup):
    """measure_single_thread_step in a fresh process (the runtime reads
    PAREPROP_KERNEL_THREADS once)."""
    return float(_in_fresh_process(
        f"measure_single_thread_step({config!r}, {steps}, {warmup})",
        "single-thread measurement", PAREPROP_KERNEL_THREADS="1"))


def _time(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def run_config(config, steps=5, warmup=1, schedules=("stored", "vanilla",
                                                      "pareprop", "auto"),
               threads=(1, 2), work_bound=True, out=print):
    """Measures one configuration; returns its records."""
    base, inputs, options = _model(config)
    reference = _torch_step(copy.deepcopy(base), inputs)[1]
    records = []

    def record(impl, schedule, ms, peak, activations, err, note):
        rec = dict(model="revvit-tiny" if config.startswith("tiny")
                   else "revvit-small", config=config,
                   batch=options["batch"], depth=options["depth"], impl=impl,
                   schedule=schedule, step_ms=round(ms, 3), peak_bytes=peak,
                   peak_activation_bytes=activations, grad_rel_err=err,
                   note=note)
        records.append(rec)
        def mib(n, width):
            return f"{n / 2**20:>{width}.2f}" if n else f"{'-':>{width}}"
        error = f"{err:>10.2e}" if err is not None else f"{'-':>10}"
        out(f"{config:<12} {impl:<8} {schedule:<10} {ms:>9.2f} "
            f"{mib(peak, 10)} {mib(activations, 9)} {error}  {note}")

    saved = torch.get_num_threads()
    try:
        for schedule, overlap in (("stored", None), ("vanilla", False),
                                  ("pareprop", True)):
            module = copy.deepcopy(base)
            ctx = (_reversible(module, overlap) if overlap is not None
                   else contextlib.nullcontext())
            with ctx:
                best = None
                for t in threads:
                    torch.set_num_threads(t)
                    ms = _time(lambda: _torch_step(module, inputs), steps,
                               warmup)
                    if best is None or ms < best[0]:
                        best = (ms, t)
                torch.set_num_threads(best[1])
                grads = _torch_step(module, inputs)[1]
            err = _max_rel_diff(grads, reference)
            peak, activations = _torch_peak(config, schedule)
            record("torch", schedule, best[0], peak, activations, err,
                   f"{best[1]} thread{'s' if best[1] > 1 else ''}")
    finally:
        torch.set_num_threads(saved)

    for schedule in schedules:
        module = copy.deepcopy(base)
        step = compile_step(module, inputs, schedule=schedule)
        box = {}
        ms = _time(lambda: box.update(grads=step(*inputs)[1]), steps, warmup)
        err = _max_rel_diff(box["grads"], reference)
        record("pareprop", schedule, ms, step.peak_bytes,
               step.peak_activation_bytes, err, step.policy)
    if work_bound:
        single = _single_thread_step(config, steps, warmup)
        cores = os.cpu_count() or 1
        record("pareprop", "work-bound", single / cores, None, None, None,
               f"vanilla on 1 thread: {single:.1f} ms / {cores} cores")
    return records


def main(configs, steps=5, warmup=1, json_path=None, out=print):
    out(f"{'config':<12} {'impl':<8} {'schedule':<10} {'step-ms':>9} "
        f"{'peak-MiB':>10} {'act-MiB':>9} {'grad-err':>10}  note")
    records = []
    for config in configs:
        records += run_config(config, steps, warmup, out=out)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(records, f, indent=1)
    # Ratios within each configuration, measured in this run.
    for config in configs:
        rows = {(r["impl"], r["schedule"]): r["step_ms"]
                for r in records if r["config"] == config}
        ours = rows.get(("pareprop", "auto"))
        best_std = rows.get(("torch", "stored"))
        best_rev = min(rows.get(("torch", "vanilla"), float("inf")),
                       rows.get(("torch", "pareprop"), float("inf")))
        if ours and best_std:
            out(f"{config}: ours auto / torch stored {ours / best_std:.3f}, "
                f"torch best reversible / ours auto {best_rev / ours:.3f}")
        bound = rows.get(("pareprop", "work-bound"))
        if ours and bound:
            out(f"{config}: ours auto / work bound {ours / bound:.3f}")
    # Activation memory against depth: the shallowest and deepest run of
    # each batch size that the run measured at more than one depth.
    for impl, schedule in (("pareprop", "auto"), ("pareprop", "vanilla"),
                           ("pareprop", "stored"), ("torch", "vanilla"),
                           ("torch", "stored")):
        by_batch = {}
        for r in records:
            if (r["impl"], r["schedule"]) == (impl, schedule) and \
                    r["peak_activation_bytes"]:
                by_batch.setdefault(r["batch"], []).append(
                    (r["depth"], r["peak_activation_bytes"]))
        for batch, rows in sorted(by_batch.items()):
            (d0, a0), (d1, a1) = min(rows), max(rows)
            if d1 > d0:
                out(f"{impl} {schedule} batch {batch}: activation peak at "
                    f"depth {d1} / depth {d0} = {a1 / a0:.3f}")
    return records
