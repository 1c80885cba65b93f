"""Compiled loss and every parameter gradient match PyTorch autograd on the
same module, for each zoo model, depth and schedule."""

import pytest
import torch

import pareprop
from helpers import assert_matches, autograd

SCHEDULES = ["vanilla", "pareprop", "stored", "auto"]
DEPTHS = [1, 2, 3, 5]


def small(name, depth, **kw):
    if name == "revvit":
        return pareprop.zoo.revvit(depth=depth, dim=12, heads=3, **kw)
    if name == "revbert":
        return pareprop.zoo.revbert(depth=depth, seq=6, dim=12, heads=2,
                                    **kw)
    return pareprop.zoo.revmlp(depth=depth, **kw)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", ["revmlp", "revvit", "revbert"])
def test_matches_autograd(name, depth):
    module, inputs = small(name, depth)
    module.eval()
    ref_loss, ref_grads = autograd(module, inputs)
    for schedule in SCHEDULES:
        step = pareprop.compile(module, inputs, schedule=schedule)
        loss, grads = step(*inputs)
        assert loss.dim() == 0
        assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)


def test_parameters_are_read_at_each_call():
    module, inputs = small("revmlp", 2)
    step = pareprop.compile(module, inputs, schedule="pareprop")
    before = step(*inputs)[0].item()
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(0.5)
    after, grads = step(*inputs)
    ref_loss, ref_grads = autograd(module, inputs)
    assert after.item() != before
    assert_matches(after, grads, ref_loss, ref_grads, 1e-4)


def test_mha_sequence_first_and_f64():
    module, inputs = pareprop.zoo.revvit(depth=3, dim=8, heads=2,
                                         batch_first=False)
    module = module.double().eval()
    inputs = (inputs[0].double(), inputs[1])
    ref_loss, ref_grads = autograd(module, inputs)
    step = pareprop.compile(module, inputs, schedule="pareprop")
    loss, grads = step(*inputs)
    assert loss.dtype == torch.float64
    assert_matches(loss, grads, ref_loss, ref_grads, 1e-10)


def test_finite_differences():
    """Compiled gradients against central differences of the compiled
    forward, in f64."""
    module, inputs = small("revvit", 2)
    module = module.double().eval()
    inputs = (inputs[0].double(), inputs[1])
    step = pareprop.compile(module, inputs, schedule="auto")
    _, grads = step(*inputs)
    forward = pareprop.runtime.CompiledFunction(step.mlir, "forward")
    args = step.arguments(inputs)
    names = [n for n, _ in step.exported.params]
    gen = torch.Generator().manual_seed(0)
    eps = 1e-6
    for k, name in enumerate(names):
        index = len(inputs) + k
        flat = args[index].detach().clone().reshape(-1)
        scale = grads[name].abs().max().item()
        for _ in range(2):
            i = int(torch.randint(0, flat.numel(), (1,), generator=gen))
            plus, minus = flat.clone(), flat.clone()
            plus[i] += eps
            minus[i] -= eps
            a = list(args)
            a[index] = plus.reshape(args[index].shape)
            fp = forward(a)[0].item()
            a[index] = minus.reshape(args[index].shape)
            fm = forward(a)[0].item()
            fd = (fp - fm) / (2 * eps)
            g = grads[name].reshape(-1)[i].item()
            assert abs(fd - g) <= 1e-6 * max(scale, 1e-12), (name, fd, g)


@pytest.mark.parametrize("batch_first", [True, False])
def test_runtime_contractions_match_autograd(batch_first):
    """Matrix products through the runtime's GEMM (OpenBLAS)."""
    module, inputs = pareprop.zoo.revvit(depth=3, dim=12, heads=3,
                                         batch_first=batch_first)
    module.eval()
    ref_loss, ref_grads = autograd(module, inputs)
    for schedule in ["stored", "pareprop", "auto"]:
        step = pareprop.compile(module, inputs, schedule=schedule,
                                options="runtime-contractions=1")
        loss, grads = step(*inputs)
        assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)
