"""tools/pareprop-import (LibTorch): a zoo model saved as TorchScript,
imported, compiled and run gives the gradients of the torch.fx path."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import torch

import pareprop
from pareprop.runtime import CompiledFunction
from helpers import max_rel_diff

ROOT = Path(__file__).resolve().parent.parent.parent
IMPORTER = os.environ.get("PAREPROP_IMPORT",
                          str(ROOT / "build" / "bin" / "pareprop-import"))


def run_import(*args):
    return subprocess.run([IMPORTER, *map(str, args)], capture_output=True,
                          text=True)


def param_names(mlir):
    """rev.param names of @loss's arguments, in order (None for inputs)."""
    header = next(line for line in mlir.splitlines()
                  if "func.func @loss(" in line)
    args = re.findall(r"%arg\d+: (?:tensor<[^>]*>|i64)( \{[^}]*\})?", header)
    names = []
    for attrs in args:
        m = re.search(r'rev\.param = "([^"]+)"', attrs or "")
        names.append(m.group(1) if m else None)
    return names


@pytest.mark.parametrize("name,kw", [
    ("revmlp", dict(depth=3)),
    ("revvit", dict(depth=2, dim=12, heads=3)),
    ("revbert", dict(depth=3, seq=6, dim=12, heads=2)),
])
def test_imported_gradients_match_fx_path(tmp_path, name, kw):
    module, inputs = pareprop.zoo.MODELS[name](**kw)
    module.eval()
    archive = tmp_path / f"{name}.pt"
    pareprop.save_torchscript(module, inputs, archive)
    r = run_import(archive)
    assert r.returncode == 0, r.stderr
    mlir = r.stdout
    assert mlir.count("rev.block(") == kw["depth"]

    fx_loss, fx_grads = pareprop.compile(module, inputs, "pareprop")(*inputs)

    names = param_names(mlir)
    params = dict(module.named_parameters())
    args = [x.to(torch.float32) if x.dtype == torch.bool else x
            for x in inputs]
    args += [params[n] for n in names[len(inputs):]]
    assert all(n is None for n in names[:len(inputs)])
    step = CompiledFunction(mlir, "pareprop")
    results = step(args)
    assert abs(results[0].item() - fx_loss.item()) <= 1e-5 * abs(
        fx_loss.item())
    grads = {}
    for spec, value in zip(step.signature["results"][1:], results[1:]):
        grads[names[spec["arg"]]] = value
    assert set(grads) == set(fx_grads)
    for n, g in grads.items():
        assert max_rel_diff(g, fx_grads[n]) <= 1e-4, n


def test_input_shapes_on_the_command_line(tmp_path):
    module, inputs = pareprop.zoo.revmlp(depth=1)
    traced = torch.jit.trace(module, inputs)
    archive = tmp_path / "plain.pt"
    torch.jit.save(traced, str(archive))
    r = run_import(archive)
    assert r.returncode != 0 and "no input shapes" in r.stderr
    r = run_import(archive, "--input", "4x6xf32", "--input", "4x4xf32")
    assert r.returncode == 0, r.stderr
    assert "rev.block(" in r.stdout
    for bad in ["4x6xq8", "99999999999999999999x6xf32", "0x6xf32", "4x6"]:
        r = run_import(archive, "--input", bad, "--input", "4x4xf32")
        assert r.returncode == 1 and "bad --input '%s'" % bad in r.stderr, (
            bad, r.returncode, r.stderr)


def test_malformed_archive_is_a_clear_error(tmp_path):
    """Not a zip, and a zip cut short: a message naming LibTorch's complaint,
    exit status 1, no crash."""
    module, inputs = pareprop.zoo.revmlp(depth=1)
    whole = tmp_path / "whole.pt"
    pareprop.save_torchscript(module, inputs, whole)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    text = tmp_path / "text.pt"
    text.write_text("not a TorchScript archive\n")
    for archive in (cut, text):
        r = run_import(archive)
        assert r.returncode == 1, (archive, r.returncode, r.stderr)
        assert "pareprop-import:" in r.stderr and "torch:" in r.stderr, r.stderr


class Sigmoid(torch.nn.Module):
    def forward(self, x):
        return torch.sigmoid(x)


def test_unsupported_graph_is_a_clear_error(tmp_path):
    from pareprop.nn import ReversibleBlock, ReversibleSequence

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = ReversibleSequence([
                ReversibleBlock(torch.nn.Linear(4, 4), Sigmoid())])

        def forward(self, x):
            y1, y2 = self.blocks(x, x)
            return (y1 + y2).sum()

    archive = tmp_path / "sigmoid.pt"
    pareprop.save_torchscript(Model(), (torch.randn(2, 4),), archive)
    r = run_import(archive)
    assert r.returncode != 0
    assert "unsupported op aten::sigmoid at blocks.blocks.0.g" in r.stderr
    r = run_import(tmp_path / "missing.pt")
    assert r.returncode != 0 and "pareprop-import:" in r.stderr


def test_buffers_are_imported_as_constants(tmp_path):
    from test_export import WithBuffers

    torch.manual_seed(0)
    module = WithBuffers()
    inputs = (torch.randint(0, 10, (2, 5)), torch.randn(2, 5, 6))
    archive = tmp_path / "buffers.pt"
    pareprop.save_torchscript(module, inputs, archive)
    r = run_import(archive)
    assert r.returncode == 0, r.stderr
    mlir = r.stdout
    assert "arith.constant dense<" in mlir
    fx_loss, fx_grads = pareprop.compile(module, inputs, "pareprop")(*inputs)
    names = param_names(mlir)
    params = dict(module.named_parameters())
    args = list(inputs) + [params[n] for n in names[len(inputs):]]
    step = CompiledFunction(mlir, "pareprop")
    results = step(args)
    assert abs(results[0].item() - fx_loss.item()) <= 1e-5 * abs(
        fx_loss.item())
    for spec, value in zip(step.signature["results"][1:], results[1:]):
        assert max_rel_diff(value, fx_grads[names[spec["arg"]]]) <= 1e-4
