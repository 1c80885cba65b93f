"""The main job: export a zoo model from PyTorch, compile its training step
under each schedule, train it for a few SGD steps on the CPU, and report
loss, parity with PyTorch autograd, step time and peak memory."""

import copy
import statistics
import time

import torch

from .runtime import compile as compile_step
from . import zoo


def _max_rel_diff(grads, reference):
    worst = 0.0
    for name, ref in reference.items():
        scale = ref.abs().max().item()
        diff = (grads[name] - ref).abs().max().item()
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


def _torch_step(module, inputs):
    module.zero_grad(set_to_none=True)
    loss = module(*inputs)
    loss.backward()
    return loss.detach(), {n: p.grad.detach().clone()
                           for n, p in module.named_parameters()}


def run(model="revvit", steps=3, schedules=("stored", "vanilla",
                                            "pareprop", "auto"),
        lr=0.05, rtol=1e-4, options=None, compile_options="", out=print):
    factory = zoo.MODELS[model]
    base, inputs = factory(**(options or {}))
    base.eval()  # Dropout off: compiled and PyTorch runs see the same model.
    params = sum(p.numel() for p in base.parameters())
    out(f"model {model} ({', '.join(f'{k}={v}' for k, v in (options or {}).items()) or 'defaults'}): "
        f"{params} parameters; inputs "
        + ", ".join(f"{list(x.shape)}" for x in inputs))
    out(f"{'schedule':<9} {'policy':<28} {'loss[0]':>12} {'loss[-1]':>12} "
        f"{'torch-rel-err':>13} {'check':>5} {'step-ms':>9} {'peak-KiB':>9} "
        f"{'pred-KiB':>9}")

    # PyTorch eager on the same steps: the reference losses and the baseline
    # step time.
    module = copy.deepcopy(base)
    torch_losses, torch_times = [], []
    for _ in range(steps):
        start = time.perf_counter()
        loss, grads = _torch_step(module, inputs)
        torch_times.append(time.perf_counter() - start)
        torch_losses.append(loss.item())
        with torch.no_grad():
            for n, p in module.named_parameters():
                p -= lr * grads[n]
    torch_ms = statistics.median(torch_times) * 1e3
    out(f"{'pytorch':<9} {'eager autograd':<28} {torch_losses[0]:>12.6f} "
        f"{torch_losses[-1]:>12.6f} {'-':>13} {'ref':>5} {torch_ms:>9.3f} "
        f"{'-':>9} {'-':>9}")

    ok = True
    times = {}
    for schedule in schedules:
        module = copy.deepcopy(base)
        step = compile_step(module, inputs, schedule=schedule,
                            options=compile_options)
        losses, step_times, peak, err = [], [], 0, None
        for i in range(steps):
            # Compiled gradients against autograd on the same parameters.
            reference = _torch_step(copy.deepcopy(module), inputs)[1] \
                if i == 0 else None
            start = time.perf_counter()
            loss, grads = step(*inputs)
            step_times.append(time.perf_counter() - start)
            peak = max(peak, step.peak_bytes)
            losses.append(loss.item())
            if reference is not None:
                err = _max_rel_diff(grads, reference)
            with torch.no_grad():
                for n, p in module.named_parameters():
                    p -= lr * grads[n]
        # Training follows PyTorch's trajectory step for step.
        traj = max(abs(a - b) / max(abs(b), 1e-12)
                   for a, b in zip(losses, torch_losses))
        passed = err <= rtol and traj <= rtol
        ok &= passed
        ms = statistics.median(step_times) * 1e3
        times[schedule] = ms
        pred = step.predicted_peak_bytes
        out(f"{schedule:<9} {step.policy:<28} {losses[0]:>12.6f} "
            f"{losses[-1]:>12.6f} {err:>13.3e} "
            f"{'PASS' if passed else 'FAIL':>5} {ms:>9.3f} "
            f"{peak / 1024:>9.1f} "
            f"{(pred / 1024 if pred else float('nan')):>9.1f}")
    out(f"gradients compared with PyTorch autograd on the first step, losses "
        f"along {steps} SGD steps (lr {lr}); tolerance {rtol:.0e} relative")
    for s in schedules:
        if s != "stored" and "stored" in times:
            out(f"step-time ratio stored/{s}: "
                f"{times['stored'] / times[s]:.3f}")
    for s in schedules:
        out(f"step-time ratio pytorch/{s}: {torch_ms / times[s]:.3f}")
    return ok
