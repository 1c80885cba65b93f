"""GPU benchmark: our compiled GPU executables against PyTorch CUDA on the
same RevViT, in one run (``python3 -m pareprop gpu-bench``).

Ours: the model is exported (``pareprop.export``) and compiled by
``utils/build-gpu-executable.sh`` once per schedule: ``stored`` (ordinary
backprop, ``mode=stored``), ``vanilla``, ``pareprop`` (two CUDA streams) and
``auto`` (the scheduler picks, H100 cost model). Each executable draws its own
random weights and batch on the device and reports its step time, the device
memory pool's peak and a gradient checksum; the GPU builds' gradients are
checked against the CPU build and PyTorch elsewhere
(test/Integration/gpu-lowering-device.test).

PyTorch CUDA, on the module itself:

* ``stored``: ``loss.backward()``;
* ``vanilla``: the reversible stack as one ``autograd.Function`` that keeps
  only its outputs and rebuilds each block's inputs in the backward
  (RevViT's implementation; ``pareprop.bench.cpu``);
* ``pareprop``: the same with PaReprop's overlap on two CUDA streams. Autograd
  runs a backward op on the stream of its forward op, so block k's recompute
  and gradient share a stream and consecutive blocks alternate between the
  two: the recompute of block k-1 runs on one stream while the gradient of
  block k runs on the other (streams wait on each other only where a tensor
  crosses, and record the tensors they hand over with ``record_stream``).

Step time: mean over ``steps`` steps after ``warmup``, the device
synchronized before and after (the executables measure the same way). Peak
memory: the most device memory allocated during the timed steps, inputs,
weights, gradients and activations included (``torch.cuda.
max_memory_allocated``; ours: the stream-ordered pool's high-water mark);
each step allocates its gradients, as the executables do. Products are
exact f32 on both sides unless ``--gemm-math`` says tf32 or bf16 (ours:
``rev-to-gpu{gemm-math=...}``; PyTorch: ``torch.set_float32_matmul_precision``
"high" or "medium").
"""

import concurrent.futures
import contextlib
import copy
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

from .. import zoo
from ..demo import _max_rel_diff, _torch_step
from ..export import export
from .cpu import _ReversibleStack, _gradient, _recompute, run_stacks_as

#: RevViT-B and -L (Mangalam et al.): 224 px images, 16 px patches (196
#: tokens), MLP ratio 4, 1000 classes.
MODELS = {
    "revvit-b": dict(image_size=224, patch=16, dim=768, depth=12, heads=12,
                     mlp_ratio=4, classes=1000),
    "revvit-l": dict(image_size=224, patch=16, dim=1024, depth=24, heads=16,
                     mlp_ratio=4, classes=1000),
    # Small enough for the test suite (odd depth).
    "small": dict(image_size=32, patch=8, dim=32, depth=3, heads=2,
                  mlp_ratio=2, classes=10),
}
CONFIGS = {f"{m}-b{b}": (m, b) for m in ("revvit-b", "revvit-l")
           for b in (8, 32, 128)}
CONFIGS["small-b2"] = ("small", 2)

#: Our schedules and the rev-to-gpu options that select them.
OURS = {"stored": "mode=stored", "vanilla": "policy=vanilla",
        "pareprop": "policy=pareprop", "auto": "policy=auto"}
TORCH = ("stored", "vanilla", "pareprop")
#: gemm-math -> torch.set_float32_matmul_precision.
MATMUL_PRECISION = {"f32": "highest", "tf32": "high", "bf16": "medium"}

ROOT = Path(__file__).resolve().parents[3]


def model(config):
    """(module, inputs, options) of a configuration, in eval mode (no
    dropout), on the CPU."""
    name, batch = CONFIGS[config]
    options = dict(MODELS[name], batch=batch)
    module, inputs = zoo.revvit(**options)
    module.eval()
    return module, inputs, options


# --- PyTorch: two-stream reversible backward ---------------------------------

class _TwoStreamStack(_ReversibleStack):
    """_ReversibleStack whose backward overlaps the recompute of block k-1
    with the gradient of block k on two CUDA streams (``ctx.pool`` is the
    second stream; None runs the same order on one device queue, as on the
    CPU)."""

    @staticmethod
    def backward(ctx, dy1, dy2):
        y1, y2 = ctx.saved_tensors
        blocks, side, extra = list(ctx.blocks), ctx.pool, ctx.extra
        n = len(blocks)
        streams = (torch.cuda.current_stream(), side) if side else None

        def lane(k):
            # The last block runs on the caller's stream; blocks alternate.
            return (n - 1 - k) % 2

        def on(k):
            return (torch.cuda.stream(streams[lane(k)]) if streams
                    else contextlib.nullcontext())

        def hand_over(tensors, producer_lane, consumer_lane):
            # The consumer waits for what the producer queued so far, and
            # the allocator must not reuse the tensors' memory until the
            # consumer's work on them is done.
            if streams and producer_lane != consumer_lane:
                consumer = streams[consumer_lane]
                consumer.wait_stream(streams[producer_lane])
                for t in tensors:
                    t.record_stream(consumer)

        hand_over((y1, y2), 0, lane(n - 1))
        with on(n - 1):
            state, x1, x2 = _recompute(blocks[n - 1], y1, y2, extra)
        dy_lane = 0
        for k in range(n - 1, -1, -1):
            if k > 0:
                hand_over((x1, x2), lane(k), lane(k - 1))
                with on(k - 1):
                    ahead = _recompute(blocks[k - 1], x1, x2, extra)
            hand_over((dy1, dy2), dy_lane, lane(k))
            with on(k):
                dy1, dy2 = _gradient(state, dy1, dy2)
            dy_lane = lane(k)
            if k > 0:
                state, x1, x2 = ahead
        hand_over((dy1, dy2), dy_lane, 0)
        if streams:
            # Parameter gradients of the other lane's blocks too.
            streams[0].wait_stream(streams[1])
        return dy1, dy2, None, None, None


@contextlib.contextmanager
def reversible(module, schedule):
    """Runs every ReversibleSequence of ``module`` as a reversible stack
    (``schedule`` "vanilla" or "pareprop") while the context is active;
    "stored" leaves the module as it is."""
    if schedule == "stored":
        yield
        return
    function = _TwoStreamStack if schedule == "pareprop" else _ReversibleStack
    side = None
    if schedule == "pareprop":
        device = next(module.parameters()).device
        side = torch.cuda.Stream(device) if device.type == "cuda" else None
    with run_stacks_as(module, function, side):
        yield


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_torch(module, inputs, schedule, steps, warmup):
    """(ms per step, peak bytes or None, gradients) of PyTorch's
    ``schedule`` on the module's device."""
    device = next(module.parameters()).device
    with reversible(module, schedule):
        for _ in range(warmup):
            _torch_step(module, inputs)
        module.zero_grad(set_to_none=True)
        _synchronize(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        for _ in range(steps):
            _torch_step(module, inputs)
        _synchronize(device)
        ms = (time.perf_counter() - start) / steps * 1e3
        peak = (torch.cuda.max_memory_allocated(device)
                if device.type == "cuda" else None)
        _, grads = _torch_step(module, inputs)
    return ms, peak, grads


# --- Ours: GPU executables ---------------------------------------------------

def build_executables(config, work_dir, schedules=tuple(OURS),
                      gemm_math="f32", chip=None, jobs=None, out=print):
    """Exports the configuration's model and builds one executable per
    schedule under ``work_dir``; returns {schedule: path}."""
    module, inputs, _ = model(config)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    mlir = work_dir / f"{config}.mlir"
    mlir.write_text(export(module, inputs))
    script = ROOT / "utils" / "build-gpu-executable.sh"
    extra = [f"gemm-math={gemm_math}"] + ([f"chip={chip}"] if chip else [])

    def build(schedule):
        exe = work_dir / f"{config}-{schedule}.exe"
        done = subprocess.run(["bash", str(script), str(mlir), str(exe),
                               OURS[schedule], *extra],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"building {exe.name} failed:\n"
                               f"{done.stderr[-4000:]}")
        return schedule, exe

    jobs = jobs or max(1, (os.cpu_count() or 2) // 4)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        built = dict(pool.map(build, schedules))
    out(f"built {', '.join(str(built[s]) for s in schedules)}")
    return built


_REPORT = {"step_ms": r"step time: ([0-9.]+) ms",
           "images_per_s": r"throughput: ([0-9.]+) images/s",
           "peak_mib": r"peak device memory: ([0-9.]+) MiB",
           "loss": r"loss: (\S+)",
           "checksum": r"gradient checksum: (\S+)"}


def parse_report(text):
    """The figures a benchmark executable prints, as floats."""
    values = {}
    for key, pattern in _REPORT.items():
        m = re.search(pattern, text)
        if not m:
            raise ValueError(f"no '{pattern}' in the executable's report:\n"
                             f"{text}")
        values[key] = float(m.group(1))
    return values


def run_executable(exe, steps, warmup):
    done = subprocess.run([str(exe), "--steps", str(steps), "--warmup",
                           str(warmup)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{exe} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")
    return parse_report(done.stdout)


# --- The run -----------------------------------------------------------------

def run_config(config, steps, warmup, work_dir, gemm_math="f32",
               torch_side=True, out=print):
    """Measures one configuration (ours, then PyTorch CUDA); returns its
    records."""
    _, batch = CONFIGS[config]
    records = []

    def record(impl, schedule, ms, peak, err, note):
        rec = dict(config=config, batch=batch, impl=impl, schedule=schedule,
                   step_ms=round(ms, 3),
                   images_per_s=round(batch / ms * 1e3, 1),
                   peak_bytes=peak, grad_rel_err=err, note=note)
        records.append(rec)
        peak_text = f"{peak / 2**20:>10.1f}" if peak else f"{'-':>10}"
        err_text = f"{err:>10.2e}" if err is not None else f"{'-':>10}"
        out(f"{config:<14} {impl:<6} {schedule:<9} {ms:>9.2f} "
            f"{rec['images_per_s']:>9.1f} {peak_text} {err_text}  {note}")

    built = build_executables(config, work_dir, gemm_math=gemm_math, out=out)
    for schedule, exe in built.items():
        r = run_executable(exe, steps, warmup)
        record("ours", schedule, r["step_ms"], int(r["peak_mib"] * 2**20),
               None, f"loss {r['loss']:.6g} checksum {r['checksum']:.6g}")

    if torch_side:
        if not torch.cuda.is_available():
            raise RuntimeError("PyTorch sees no CUDA device (a CPU-only "
                               "PyTorch?); --no-torch measures ours only")
        torch.set_float32_matmul_precision(MATMUL_PRECISION[gemm_math])
        torch.backends.cudnn.allow_tf32 = gemm_math != "f32"
        base, inputs, _ = model(config)
        device = torch.device("cuda")
        base.to(device)
        inputs = [x.to(device) for x in inputs]
        reference = None
        for schedule in TORCH:
            module = copy.deepcopy(base)
            ms, peak, grads = measure_torch(module, inputs, schedule, steps,
                                            warmup)
            if reference is None:
                reference, err = grads, None
            else:
                err = _max_rel_diff(grads, reference)
            record("torch", schedule, ms, peak, err,
                   "two streams" if schedule == "pareprop" else "")
            del module, grads
            torch.cuda.empty_cache()
    return records


def ratios(records, out=print):
    """The issue's comparisons, per configuration, from one run's records
    (throughput ratios: above 1 means the first is faster)."""
    lines = []
    for config in dict.fromkeys(r["config"] for r in records):
        tput = {(r["impl"], r["schedule"]): r["images_per_s"]
                for r in records if r["config"] == config}

        def ratio(a, b):
            return tput[a] / tput[b] if a in tput and b in tput else None

        parts = []
        v = ratio(("ours", "pareprop"), ("ours", "vanilla"))
        if v:
            parts.append(f"ours pareprop/vanilla {v:.3f}")
        fixed = [tput[k] for k in (("ours", "vanilla"), ("ours", "pareprop"))
                 if k in tput]
        if ("ours", "auto") in tput and fixed:
            parts.append(f"ours auto/best fixed {tput[('ours', 'auto')] / max(fixed):.3f}")
        for schedule in TORCH:
            v = ratio(("ours", schedule), ("torch", schedule))
            if v:
                parts.append(f"ours/torch {schedule} {v:.3f}")
        if parts:
            line = f"{config}: " + ", ".join(parts)
            lines.append(line)
            out(line)
    return lines


def main(configs, steps=20, warmup=3, json_path=None, work_dir=None,
         gemm_math="f32", torch_side=True, build_only=False, out=print):
    work_dir = Path(work_dir or "gpu-bench")
    if build_only:
        for config in configs:
            build_executables(config, work_dir, gemm_math=gemm_math,
                              out=out)
        return []
    if torch.cuda.is_available():
        out(f"device: {torch.cuda.get_device_name()}")
    out(f"{'config':<14} {'impl':<6} {'schedule':<9} {'step-ms':>9} "
        f"{'images/s':>9} {'peak-MiB':>10} {'grad-err':>10}  note")
    records = []
    for config in configs:
        records += run_config(config, steps, warmup, work_dir, gemm_math,
                              torch_side, out)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(records, f, indent=1)
    ratios(records, out)
    return records
