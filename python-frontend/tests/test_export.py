"""The exporter: the ops public reversible-transformer code uses, and clear
errors for what it does not support."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import pareprop
from pareprop.nn import ReversibleBlock, ReversibleSequence
from helpers import assert_matches, autograd

ROOT = Path(__file__).resolve().parent.parent


class HandWrittenAttention(nn.Module):
    """Attention as public RevViT code writes it: packed qkv, tuple
    unpacking, permute, @, softmax, transpose, reshape."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(self.norm(x)).reshape(B, N, 3, self.heads,
                                             C // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * (C // self.heads) ** -0.5
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(out)


class Mixer(nn.Module):
    """chunk / split / unbind / cat / indexing / mean / sum / bmm / view /
    flatten / contiguous / relu / tanh / division by a number / softmax over
    a non-last dimension."""

    def __init__(self, dim):
        super().__init__()
        self.lin = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        a, b = self.lin(x).chunk(2, dim=-1)
        c, d = torch.split(a, [3, a.shape[-1] - 3], dim=-1)
        e = torch.cat([d, c], dim=-1).contiguous()
        rows = torch.unbind(e, dim=1)
        f = rows[0].unsqueeze(1) + e  # broadcasting add
        g = torch.bmm(f, b.transpose(1, 2)) / 4.0
        h = torch.softmax(g, dim=1)
        i = (h @ torch.tanh(b)).flatten(1).view(x.shape[0], x.shape[1], -1)
        j = F.relu(i) - i.mean(dim=2, keepdim=True)
        return self.out(j[:, :, :] * 0.5 + j.sum(dim=(1,), keepdim=True))


class HandWrittenModel(nn.Module):
    def __init__(self, dim=8, heads=2, depth=3):
        super().__init__()
        self.blocks = ReversibleSequence([
            ReversibleBlock(HandWrittenAttention(dim, heads), Mixer(dim))
            for _ in range(depth)])
        self.head = nn.Linear(dim, 3)

    def forward(self, x, target):
        y1, y2 = self.blocks(x, x)
        pred = self.head(y1[:, 0] + y2[:, -1])
        return F.mse_loss(pred, target)


def test_hand_written_transformer_matches_autograd():
    torch.manual_seed(0)
    module = HandWrittenModel(depth=3)
    inputs = (torch.randn(2, 5, 8), torch.randn(2, 3))
    ref_loss, ref_grads = autograd(module, inputs)
    for schedule in ["pareprop", "auto"]:
        loss, grads = pareprop.compile(module, inputs, schedule)(*inputs)
        assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)


def test_blocks_share_functions_and_name_parameters():
    module, inputs = pareprop.zoo.revvit(depth=4)
    text = pareprop.export(module, inputs)
    assert text.count("func.func private @F") == 1
    assert text.count("func.func private @G") == 1
    assert text.count("rev.block(") == 4
    for name, _ in module.named_parameters():
        assert f'rev.param = "{name}"' in text


class Gained(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.lin = nn.Linear(d, d)
        self.register_buffer("gain", torch.linspace(0.5, 1.5, d))

    def forward(self, x):
        return torch.tanh(self.lin(x)) * self.gain


class WithBuffers(nn.Module):
    """Buffers become constants: a float gain inside F and G, integer
    position ids, a float mask."""

    def __init__(self, d=6, depth=3):
        super().__init__()
        self.tokens = nn.Embedding(10, d)
        self.register_buffer("positions", torch.arange(5))
        self.pos = nn.Embedding(5, d)
        self.blocks = ReversibleSequence([
            ReversibleBlock(Gained(d), Gained(d)) for _ in range(depth)])
        self.register_buffer(
            "mask", torch.tensor([1.0, 0.0, 1.0, 1.0, 0.5]).reshape(1, 5, 1))

    def forward(self, ids, target):
        x = self.tokens(ids) + self.pos(self.positions)
        y1, y2 = self.blocks(x, x)
        return ((y1 + y2) * self.mask - target).mean()


def test_buffers_become_constants():
    torch.manual_seed(0)
    module = WithBuffers()
    inputs = (torch.randint(0, 10, (2, 5)), torch.randn(2, 5, 6))
    text = pareprop.export(module, inputs)
    # F and G have equal code and equal gains: one function holds the gain;
    # the loss holds the positions and the mask.
    assert text.count("func.func private") == 1
    assert text.count("arith.constant dense<") == 3
    ref_loss, ref_grads = autograd(module, inputs)
    for schedule in ["stored", "pareprop", "auto"]:
        loss, grads = pareprop.compile(module, inputs, schedule)(*inputs)
        assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)


class Sigmoid(nn.Module):
    def forward(self, x):
        return torch.sigmoid(x)


class WithSigmoid(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = ReversibleSequence([
            ReversibleBlock(nn.Linear(4, 4), Sigmoid())])

    def forward(self, x):
        y1, y2 = self.blocks(x, x)
        return (y1 + y2).sum()


def test_unsupported_op_names_op_and_module_path():
    with pytest.raises(pareprop.ExportError,
                       match=r"unsupported op aten::sigmoid at "
                             r"blocks\.blocks\.0\.g"):
        pareprop.export(WithSigmoid(), (torch.randn(2, 4),))


class WithConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x).mean()


def test_unsupported_module_is_named():
    with pytest.raises(pareprop.ExportError,
                       match=r"patch-embedding convolutions .* at conv"):
        pareprop.export(WithConv(), (torch.randn(1, 3, 8, 8),))


class NotScalar(nn.Module):
    def forward(self, x):
        return x * 2.0


def test_loss_must_be_scalar():
    with pytest.raises(pareprop.ExportError, match="scalar loss"):
        pareprop.export(NotScalar(), (torch.randn(2, 3),))


def test_compile_errors_carry_diagnostics():
    module, inputs = pareprop.zoo.revmlp(depth=1)
    text = pareprop.export(module, inputs)
    with pytest.raises(pareprop.CompileError, match="unknown schedule 'bogus'"):
        pareprop.runtime.CompiledFunction(text, "bogus")
    with pytest.raises(pareprop.CompileError, match="bad options"):
        pareprop.runtime.CompiledFunction(text, "auto", options="lookahed=2")
    # The schedule argument sets the policy; an option would fight it.
    with pytest.raises(pareprop.CompileError,
                       match="mode, policy and func are set by the schedule"):
        pareprop.runtime.CompiledFunction(text, "auto", options="policy=list")
    with pytest.raises(pareprop.CompileError,
                       match="no public function holds a rev.block"):
        pareprop.runtime.CompiledFunction("func.func @f() { return }", "auto")
    with pytest.raises(ValueError, match="unknown schedule"):
        pareprop.compile(module, inputs, schedule="fast")
    # One name per schedule: the C API's table, which pareprop-run shares.
    assert pareprop.runtime.schedules() == (
        "stored", "vanilla", "pareprop", "list", "auto")
    with pytest.raises(ValueError, match="ordinary backprop is 'stored'"):
        pareprop.compile(module, inputs, schedule="standard")
    with pytest.raises(pareprop.CompileError,
                       match="ordinary backprop is 'stored'"):
        pareprop.runtime.CompiledFunction(text, "standard")
    with pytest.raises(pareprop.CompileError, match=r"<model>:1:\d+: error"):
        pareprop.runtime.CompiledFunction("func.func @f( {", "auto")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "pareprop", *args],
                          cwd=ROOT, capture_output=True, text=True)


def test_cli_exports_zoo_and_user_models(tmp_path):
    r = run_cli("export", "revbert", "--set", "depth=3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("rev.block(") == 3
    user = tmp_path / "model.py"
    user.write_text(
        "import torch\n"
        "from pareprop.zoo import revmlp\n"
        "def make(depth=2):\n"
        "    return revmlp(depth=depth)\n")
    out = tmp_path / "m.mlir"
    r = run_cli("export", f"{user}:make", "--set", "depth=5", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().count("rev.block(") == 5
    r = run_cli("export", f"{user}:missing")
    assert r.returncode != 0 and "has no 'missing'" in r.stderr
