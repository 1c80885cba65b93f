"""Example models: each factory returns ``(module, example_inputs)`` where
``module(*example_inputs)`` is a scalar loss, ready for ``pareprop.export``
and ``pareprop.compile``."""

import torch
import torch.nn.functional as F
from torch import nn

from .nn import ReversibleBlock, ReversibleSequence


class AttentionSubBlock(nn.Module):
    """F of a transformer block: pre-norm self-attention."""

    def __init__(self, dim, heads, dropout=0.0, batch_first=True):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout,
                                          batch_first=batch_first)
        self.drop = nn.Dropout(dropout)
        self.batch_first = batch_first

    def forward(self, x, pad_mask=None):
        h = self.norm(x)
        if not self.batch_first:
            h = h.transpose(0, 1)
        out, _ = self.attn(h, h, h, key_padding_mask=pad_mask)
        if not self.batch_first:
            out = out.transpose(0, 1)
        return self.drop(out)


class MLPSubBlock(nn.Module):
    """G of a transformer block: pre-norm two-layer MLP."""

    def __init__(self, dim, hidden, dropout=0.0):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, context=None):
        return self.drop(self.fc2(F.gelu(self.fc1(self.norm(x)))))


def transformer_blocks(dim, depth, heads, mlp_ratio=2, dropout=0.0,
                       batch_first=True):
    return ReversibleSequence([
        ReversibleBlock(AttentionSubBlock(dim, heads, dropout, batch_first),
                        MLPSubBlock(dim, dim * mlp_ratio, dropout))
        for _ in range(depth)])


class RevViT(nn.Module):
    """Reversible ViT (Mangalam et al.): patch embedding, two copies of the
    tokens through reversible attention/MLP blocks, head over both streams
    concatenated."""

    def __init__(self, image_size=8, patch=4, channels=3, dim=16, depth=2,
                 heads=2, classes=5, dropout=0.0, batch_first=True,
                 mlp_ratio=2):
        super().__init__()
        tokens = (image_size // patch) ** 2
        self.patch_embed = nn.Conv2d(channels, dim, patch, stride=patch)
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.blocks = transformer_blocks(dim, depth, heads, mlp_ratio, dropout,
                                         batch_first)
        self.norm = nn.LayerNorm(2 * dim)
        self.head = nn.Linear(2 * dim, classes)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = x + self.pos_embed
        x1, x2 = self.blocks(x, x)
        x = self.norm(torch.cat([x1, x2], dim=-1))
        return self.head(x.mean(dim=1))


class RevBERT(nn.Module):
    """Reversible BERT/RoBERTa-style encoder: token and position embeddings,
    reversible encoder with a key padding mask, pooled classification head
    on the first token."""

    def __init__(self, vocab=50, max_len=16, dim=16, depth=2, heads=2,
                 classes=3, dropout=0.0):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)
        self.embed_norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.blocks = transformer_blocks(dim, depth, heads, 4, dropout)
        self.pool = nn.Linear(dim, dim)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, ids, pad_mask):
        seq = ids.shape[1]
        x = self.tokens(ids) + self.positions[:, :seq]
        x = self.drop(self.embed_norm(x))
        x1, x2 = self.blocks(x, x, pad_mask)
        h = (x1 + x2) * 0.5
        pooled = torch.tanh(self.pool(h[:, 0]))
        return self.classifier(pooled)


class RevMLP(nn.Module):
    """An MLP-coupled reversible stack between an input and an output
    projection."""

    def __init__(self, inputs=6, dim=8, hidden=16, depth=3, outputs=4):
        super().__init__()
        self.embed = nn.Linear(inputs, dim)

        def mlp(act):
            return nn.Sequential(nn.Linear(dim, hidden), act,
                                 nn.Linear(hidden, dim))
        self.blocks = ReversibleSequence([
            ReversibleBlock(mlp(nn.Tanh()), mlp(nn.GELU()))
            for _ in range(depth)])
        self.head = nn.Linear(dim, outputs)

    def forward(self, x):
        h = self.embed(x)
        y1, y2 = self.blocks(h, h)
        return self.head(y1 + y2)


class ClassificationLoss(nn.Module):
    """``cross_entropy(model(x), labels)``."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, labels):
        return F.cross_entropy(self.model(x), labels)


class MaskedClassificationLoss(ClassificationLoss):
    """``cross_entropy(model(ids, pad_mask), labels)``."""

    def forward(self, ids, pad_mask, labels):
        return F.cross_entropy(self.model(ids, pad_mask), labels)


class RegressionLoss(nn.Module):
    """``mse_loss(model(x), target)``."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, target):
        return F.mse_loss(self.model(x), target)


def revvit(batch=2, image_size=8, patch=4, dim=16, depth=2, heads=2,
           classes=5, dropout=0.0, batch_first=True, seed=0, mlp_ratio=2):
    torch.manual_seed(seed)
    model = ClassificationLoss(RevViT(image_size, patch, 3, dim, depth, heads,
                                      classes, dropout, batch_first,
                                      mlp_ratio))
    images = torch.randn(batch, 3, image_size, image_size)
    labels = torch.randint(0, classes, (batch,))
    return model, (images, labels)


def revbert(batch=2, seq=8, vocab=50, dim=16, depth=2, heads=2, classes=3,
            dropout=0.0, seed=0):
    torch.manual_seed(seed)
    model = MaskedClassificationLoss(RevBERT(vocab, seq, dim, depth, heads, classes,
                                       dropout))
    ids = torch.randint(0, vocab, (batch, seq))
    pad_mask = torch.zeros(batch, seq, dtype=torch.bool)
    pad_mask[0, seq - 2:] = True  # The first sequence is padded.
    labels = torch.randint(0, classes, (batch,))
    return model, (ids, pad_mask, labels)


def revmlp(batch=4, inputs=6, dim=8, hidden=16, depth=3, outputs=4, seed=0):
    torch.manual_seed(seed)
    model = RegressionLoss(RevMLP(inputs, dim, hidden, depth, outputs))
    return model, (torch.randn(batch, inputs), torch.randn(batch, outputs))


MODELS = {"revvit": revvit, "revbert": revbert, "revmlp": revmlp}
