"""Every torch operator of the shared lowering (convert-aten-to-nn), through
both frontends: each case is a small model that calls the operator; it is
exported with torch.fx (pareprop.export) and saved as TorchScript and
imported with LibTorch (pareprop-import). Both must record the operator's
call, and both compiled training steps must give PyTorch autograd's loss and
gradients. The cases together must cover the lowering's whole table, so an
operator added there needs a case here."""

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import pareprop
from pareprop.nn import ReversibleBlock, ReversibleSequence
from pareprop.runtime import CompiledFunction
from helpers import assert_matches, autograd
from test_import import param_names, run_import

D = 6


class Block(nn.Module):
    """One reversible block whose F is `f`; the loss reads both halves."""

    def __init__(self, f):
        super().__init__()
        self.blocks = ReversibleSequence([ReversibleBlock(f, nn.Linear(D, D))])

    def forward(self, x):
        y1, y2 = self.blocks(x, x)
        return (y1 * y2).mean()


class F_(nn.Module):
    """F of a block from a function of (module, x)."""

    def __init__(self, body, **params):
        super().__init__()
        self.body = body
        for name, shape in params.items():
            if isinstance(shape, torch.Tensor):
                self.register_buffer(name, shape)
            else:
                setattr(self, name, nn.Parameter(0.3 * torch.randn(shape)))

    def forward(self, x):
        return self.body(self, x)


def broadcast_product(m, x):
    # (x itself would come back as it is, and TorchScript would see F
    # return its input.)
    a, b = torch.broadcast_tensors(x * 0.5, m.b)
    return a * b


def swap_chunks(m, x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([b, a], -1) + torch.unbind(x, dim=1)[0].unsqueeze(1)


def swap_split(m, x):
    a, b = torch.split(x, [2, 4], dim=-1)
    return torch.cat([b, a], -1)


def swap_split_with_sizes(m, x):
    a, b = torch.split_with_sizes(x, [4, 2], -1)
    return torch.cat([b, a], -1)


def attention_with_mask(m, x):
    scores = x @ x.transpose(-2, -1)
    masked = scores + torch.zeros_like(scores).masked_fill(m.mask,
                                                           float("-inf"))
    return torch.softmax(masked, dim=-1) @ x


# (ops each frontend must record, F of the block); ops: one set for both,
# or {"fx": ..., "ts": ...} where TorchScript traces another spelling.
BLOCK_CASES = [
    ({"add", "sub", "mul", "div", "neg"},
     lambda m, x: -(x + m.b) * x - x / 3.0 + 2.0 * x, dict(b=(D,))),
    ({"relu", "tanh", "gelu"},
     lambda m, x: torch.relu(x) + torch.tanh(x) + F.gelu(x, approximate="tanh")
     + F.gelu(x), {}),
    ({"matmul", "linear"},
     lambda m, x: x @ m.w + F.linear(x, m.w, m.b), dict(w=(D, D), b=(D,))),
    ({"mm", "t", "reshape"},
     lambda m, x: torch.mm(x.reshape(8, D), m.w.t()).reshape(2, 4, D),
     dict(w=(D, D))),
    ({"bmm", "transpose"},
     lambda m, x: torch.bmm(torch.bmm(x, x.transpose(1, 2)), x) * 0.1, {}),
    ({"baddbmm", "expand"},
     lambda m, x: torch.baddbmm(x, x, m.w.expand(2, D, D), beta=0.5,
                                alpha=2.0), dict(w=(D, D))),
    ({"layer_norm", "softmax"},
     lambda m, x: F.layer_norm(x, (D,), m.g, m.b, 1e-5)
     + torch.softmax(x, dim=1), dict(g=(D,), b=(D,))),
    ({"view", "flatten", "unflatten", "unsqueeze", "squeeze"},
     lambda m, x: x.flatten(1).unflatten(1, (4, D)).view(2, 4 * D)
     .view(2, 4, D).unsqueeze(0).squeeze(0), {}),
    ({"contiguous", "clone", "to", "type_as"},
     lambda m, x: (x + m.b).contiguous().clone().to(torch.float32)
     .type_as(x) * x, dict(b=(D,))),
    ({"permute"}, lambda m, x: x.permute(2, 0, 1).permute(1, 2, 0) * x, {}),
    ({"broadcast_tensors"}, broadcast_product, dict(b=(D,))),
    ({"slice", "cat"},
     lambda m, x: torch.cat([x[:, 1:3], x[:, :2]], dim=1), {}),
    ({"fx": {"concat", "select"}, "ts": {"cat", "select"}},
     lambda m, x: torch.concat([torch.select(x, 1, 2).unsqueeze(1),
                                x[:, 1:]], dim=1), {}),
    ({"chunk", "unbind"}, swap_chunks, {}),
    ({"fx": {"split"}, "ts": {"split_with_sizes"}}, swap_split, {}),
    ({"split_with_sizes"}, swap_split_with_sizes, {}),
    ({"mean", "sum"},
     lambda m, x: x - x.mean(dim=-1, keepdim=True)
     + 0.1 * x.sum(dim=(1,), keepdim=True) + x.mean(), {}),
    ({"zeros_like", "masked_fill"}, attention_with_mask,
     dict(mask=torch.tensor([False, False, False, True]))),
]


class Embedded(nn.Module):
    """Token ids through an embedding and a block; logits [N, C, L] against
    [N, L] labels, as PyTorch lays them out, plus a regression term."""

    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(7, D)
        self.blocks = ReversibleSequence([
            ReversibleBlock(nn.Linear(D, D), nn.Linear(D, D))])
        self.head = nn.Linear(D, 3)

    def forward(self, ids, labels, target):
        h = self.table(ids)
        y1, y2 = self.blocks(h, h)
        logits = self.head(y1 + y2)
        return F.cross_entropy(logits.transpose(1, 2), labels) + \
            F.mse_loss(y1, target)


class Patches(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, D, 2, stride=2)
        self.blocks = ReversibleSequence([
            ReversibleBlock(nn.Linear(D, D), nn.Linear(D, D))])

    def forward(self, images):
        x = self.conv(images).flatten(2).transpose(1, 2)
        y1, y2 = self.blocks(x, x)
        return (y1 * y2).tanh().mean()


def model_cases():
    torch.manual_seed(0)
    cases = []
    for i, (ops, body, params) in enumerate(BLOCK_CASES):
        cases.append((f"block{i}", ops, Block(F_(body, **params)),
                      (torch.randn(2, 4, D),)))
    cases.append(("losses", {"embedding", "cross_entropy_loss", "mse_loss"},
                  Embedded(), (torch.randint(0, 7, (2, 4)),
                               torch.randint(0, 3, (2, 4)),
                               torch.randn(2, 4, D))))
    cases.append(("patches", {"fx": {"conv2d"}, "ts": {"_convolution"}},
                  Patches(), (torch.randn(2, 3, 4, 4),)))
    return cases


CASES = model_cases()


def called(mlir):
    return set(re.findall(r'aten\.call "(\w+)"', mlir))


def expected(ops, frontend):
    return set(ops[frontend]) if isinstance(ops, dict) else set(ops)


def torchscript_step(module, inputs, tmp_path, name, extra=()):
    archive = tmp_path / f"{name}.pt"
    pareprop.save_torchscript(module, inputs, archive)
    calls = run_import(archive, "--emit-aten")
    assert calls.returncode == 0, calls.stderr
    r = run_import(archive)
    assert r.returncode == 0, r.stderr
    names = param_names(r.stdout)
    params = dict(module.named_parameters())
    args = list(inputs) + [params[n] for n in names[len(inputs):]
                           if n is not None] + list(extra)
    step = CompiledFunction(r.stdout, "pareprop")
    results = step(args)
    grads = {names[spec["arg"]]: value for spec, value in
             zip(step.signature["results"][1:], results[1:])}
    return calls.stdout, results[0], grads


@pytest.mark.parametrize("name,ops,module,inputs", CASES,
                         ids=[c[0] for c in CASES])
def test_operator_through_both_frontends(tmp_path, name, ops, module, inputs):
    module.eval()
    ref_loss, ref_grads = autograd(module, inputs)
    fx_calls = called(pareprop.export(module, inputs, lower=False))
    assert expected(ops, "fx") <= fx_calls, fx_calls
    loss, grads = pareprop.compile(module, inputs, "pareprop")(*inputs)
    assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)

    ts_text, loss, grads = torchscript_step(module, inputs, tmp_path, name)
    assert expected(ops, "ts") <= called(ts_text), called(ts_text)
    assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)


def test_dropout_draws_the_same_masks_through_both_frontends(tmp_path):
    torch.manual_seed(0)
    module = Block(F_(lambda m, x: F.dropout(x @ m.w, 0.3,
                                             training=m.training),
                      w=(D, D)))
    module.train()
    inputs = (torch.randn(2, 4, D),)
    assert "dropout" in called(pareprop.export(module, inputs, lower=False))
    step = pareprop.compile(module, inputs, "pareprop")
    loss, grads = step(*inputs, seed=5)
    seed = step.arguments(inputs, seed=5)[-1]
    ts_text, ts_loss, ts_grads = torchscript_step(module, inputs, tmp_path,
                                                  "dropout", [seed])
    assert "dropout" in called(ts_text)
    assert ts_loss.item() == loss.item()
    assert_matches(ts_loss, ts_grads, loss, grads, 1e-6)
    module.eval()
    eval_loss, _ = pareprop.compile(module, inputs, "pareprop")(*inputs)
    assert eval_loss.item() != loss.item(), "dropout did nothing"


def test_cases_cover_the_lowering_table():
    covered = {"dropout"}  # test_dropout_draws_the_same_masks_...
    for _, ops, _, _ in CASES:
        covered |= expected(ops, "fx") | expected(ops, "ts")
    assert covered == set(pareprop.runtime.torch_operators())


def test_unsupported_operator_is_named_with_its_module_path():
    module = Block(F_(lambda m, x: torch.sigmoid(x)))
    with pytest.raises(pareprop.ExportError,
                       match=r"unsupported op aten::sigmoid at "
                             r"blocks\.blocks\.0\.f"):
        pareprop.export(module, (torch.randn(2, 4, D),))


def test_callable_without_an_aten_operator_is_named():
    # F.dropout2d drops whole channels: no ATen operator of that name, and
    # not the elementwise dropout.
    module = Block(F_(lambda m, x: F.dropout2d(x, 0.5)))
    with pytest.raises(pareprop.ExportError,
                       match=r"unsupported op dropout2d at "
                             r"blocks\.blocks\.0\.f \(dropout2d\)"):
        pareprop.export(module, (torch.randn(2, 4, D),))


def test_bad_emit_aten_value_is_refused(tmp_path):
    module, inputs = CASES[0][2], CASES[0][3]
    archive = tmp_path / "m.pt"
    pareprop.save_torchscript(module, inputs, archive)
    r = run_import(archive, "--emit-aten=maybe")
    assert r.returncode == 1
    assert "Cannot find option named 'maybe'" in r.stderr or \
        "invalid value" in r.stderr, r.stderr
