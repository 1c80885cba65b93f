"""Reversible building blocks: ordinary torch modules that the exporter
recognises (a ReversibleBlock becomes one ``rev.block`` op)."""

import torch


class ReversibleBlock(torch.nn.Module):
    """Additive coupling: ``y1 = x1 + f(x2)``, ``y2 = x2 + g(y1)``.

    ``forward(x1, x2, context)`` passes a further tensor (a padding mask)
    to both ``f`` and ``g`` unchanged: ``f(x2, context)``, ``g(y1,
    context)``.

    In PyTorch it runs as written (autograd stores activations as usual);
    compiled, its inputs are rebuilt from its outputs in the backward:
    ``x2 = y2 - g(y1)``, ``x1 = y1 - f(x2)``.
    """

    def __init__(self, f: torch.nn.Module, g: torch.nn.Module):
        super().__init__()
        self.f = f
        self.g = g

    def forward(self, x1, x2, context=None):
        # `context`: a tensor F and G read but that does not flow through
        # the coupling (an attention padding mask); both receive it.
        if context is None:
            y1 = x1 + self.f(x2)
            y2 = x2 + self.g(y1)
        else:
            y1 = x1 + self.f(x2, context)
            y2 = x2 + self.g(y1, context)
        return y1, y2


class ReversibleSequence(torch.nn.Module):
    """A stack of ReversibleBlocks applied in order to ``(x1, x2)``."""

    def __init__(self, blocks):
        super().__init__()
        blocks = list(blocks)
        for i, b in enumerate(blocks):
            if not isinstance(b, ReversibleBlock):
                raise TypeError(
                    f"ReversibleSequence: block {i} is a {type(b).__name__}, "
                    "not a ReversibleBlock")
        self.blocks = torch.nn.ModuleList(blocks)

    def forward(self, x1, x2, context=None):
        for block in self.blocks:
            out = block(x1, x2) if context is None else block(x1, x2, context)
            x1, x2 = out[0], out[1]
        return x1, x2
