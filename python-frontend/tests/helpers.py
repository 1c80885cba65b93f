import copy

import torch


def autograd(module, inputs):
    """Loss and gradients of PyTorch autograd, by parameter name."""
    module = copy.deepcopy(module)
    loss = module(*inputs)
    loss.backward()
    return loss.detach(), {n: p.grad for n, p in module.named_parameters()}


def max_rel_diff(a, b):
    """Largest difference relative to the reference's largest magnitude."""
    scale = b.abs().max().item()
    diff = (a - b).abs().max().item()
    return diff / scale if scale > 0 else diff


def assert_matches(loss, grads, ref_loss, ref_grads, rtol):
    assert abs(loss.item() - ref_loss.item()) <= rtol * max(
        abs(ref_loss.item()), 1e-12), (loss.item(), ref_loss.item())
    assert set(grads) == set(ref_grads)
    for name in ref_grads:
        err = max_rel_diff(grads[name], ref_grads[name])
        assert err <= rtol, f"{name}: relative error {err:.3e}"


def assert_reversible_matches_autograd(model, depth, context):
    """A zoo model run inside ``context(module)`` (a reversible stack in
    place of its ReversibleSequence) gives autograd's loss and gradients,
    and the module is itself again after the context."""
    from pareprop import zoo
    module, inputs = zoo.MODELS[model](depth=depth)
    module.eval()
    ref_loss, ref_grads = autograd(module, inputs)
    with context(module):
        loss = module(*inputs)
        loss.backward()
    assert abs(loss.item() - ref_loss.item()) <= 1e-6 * abs(ref_loss.item())
    for name, p in module.named_parameters():
        assert max_rel_diff(p.grad, ref_grads[name]) <= 1e-5, name
    assert not any("forward" in vars(m) for m in module.modules())
