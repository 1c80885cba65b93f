"""Checks a pareprop-run dump of a loss of constant-index-ops.mlir against
PyTorch autograd (F.embedding, F.cross_entropy) on the same inputs.

usage: check-index-ops.py UTILS_DIR {loss_embedding|loss_cross_entropy} DUMP
The ids outside the table are clamped here too (PyTorch would raise); the
label outside [0, C) contributes its row's log-sum-exp alone (PyTorch would
raise), so every other row is PyTorch's own cross-entropy.
"""
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, sys.argv[1])
from dump_check import compare, read_dump  # noqa: E402

which, path = sys.argv[2], sys.argv[3]
inputs, results, _ = read_dump(path)


def tensor(value):
    return torch.tensor(value[2], dtype=torch.float64).reshape(value[1])


args = [tensor(inputs[i]).requires_grad_() for i in sorted(inputs)]


def block(x1, x2, f):
    y1 = x1 + f(x2)
    return y1, x2 + torch.tanh(y1)


if which == "loss_embedding":
    table, pos, types, w = args
    ids = torch.tensor([[3, 7, 3, 3, 10], [-1, 0, 7, 13, 5]]).clamp(0, 10)
    tids = torch.tensor([[0, 2, 2, 1, 0], [1, 1, 1, 2, 0]])
    x = F.embedding(ids, table) + pos
    y1, y2 = block(x, x, lambda v: torch.tanh((v @ w.T) * F.embedding(tids, types)))
    loss = (y1 * y2).mean()
elif which == "loss_cross_entropy":
    x1, x2, w, head, hb = args
    labels = torch.tensor([0, 3, 1, 2, 3, 3, 0, 1, 6, 2])
    y1, y2 = block(x1, x2, lambda v: torch.tanh(v @ w.T))
    logits = 30.0 * ((y1 + y2).reshape(10, 7) @ head.T + hb)
    valid = labels < 4
    loss = (F.cross_entropy(logits[valid], labels[valid], reduction="sum")
            + torch.logsumexp(logits[~valid], dim=1).sum()) / 10
else:
    sys.exit(f"unknown loss {which}")

grads = torch.autograd.grad(loss, args)
reference = [loss.detach()] + [g.detach() for g in grads]
labels = ["loss"] + [f"d arg {i}" for i in range(len(args))]
compare(results, reference, labels, 1e-10, tensor)
