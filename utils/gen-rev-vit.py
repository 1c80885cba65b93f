#!/usr/bin/env python3
"""Emit a RevViT-style model (reversible blocks coupling multi-head attention
and an MLP) in the rev/nn dialects, or check a pareprop-run dump of it against
PyTorch autograd.

The loss function @loss(x, target, w_emb, b_emb, [seed,] params...) embeds the
input with a linear map into both streams (X1 = X2), runs `--depth`
reversible blocks whose F is pre-LayerNorm multi-head self-attention (@attn)
and whose G is a pre-LayerNorm two-layer MLP with GELU (@mlp), each block with
parameters of its own, then a suffix: the sum of the two streams, a final
LayerNorm, a linear head and the mean squared error against `target`.

With --dropout RATE > 0 the loss takes an i64 %seed; block k derives the
keys of its F and G with nn.fold_key %seed, 2k and 2k+1, and drops out the
attention probabilities, the attention output and the MLP output.

The key projection has no bias: a key bias shifts a whole row of scores,
which the softmax cancels, so its gradient would be zero but for rounding.

--check-dump computes the reference in f64 (f32 inputs are exact in f64) and
measures each tensor's largest difference relative to the reference tensor's
largest magnitude.

  gen-rev-vit.py --depth 3 > model.mlir
  pareprop-run model.mlir --dump dump.txt
  gen-rev-vit.py --depth 3 --check-dump dump.txt     # same model options
"""
import argparse
import math
import sys

from dump_check import compare, read_dump, to_torch

p = argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--depth", type=int, default=2, help="reversible blocks")
p.add_argument("--batch", type=int, default=2)
p.add_argument("--seq", type=int, default=5, help="sequence length (tokens)")
p.add_argument("--dim", type=int, default=12, help="embedding width")
p.add_argument("--heads", type=int, default=3,
               help="attention heads (must divide --dim)")
p.add_argument("--mlp-hidden", type=int, default=20, help="hidden width of G")
p.add_argument("--classes", type=int, default=7, help="width of the head")
p.add_argument("--dtype", default="f32", choices=["f32", "f64"])
p.add_argument("--gelu", default="none", choices=["none", "tanh"],
               help="GELU form in G: exact (erf) or the tanh approximation")
p.add_argument("--dropout", type=float, default=0.0, metavar="RATE",
               help="dropout rate; > 0 adds an i64 seed argument")
p.add_argument("--check-dump", metavar="FILE",
               help="compare the results in a pareprop-run --dump file with "
                    "PyTorch autograd on the same inputs, instead of emitting")
p.add_argument("--rtol", type=float, default=None,
               help="--check-dump tolerance (default 1e-5 for f32, 1e-10 for "
                    "f64; 1e-3 against --torch-device cuda)")
p.add_argument("--torch-device", default="cpu", choices=["cpu", "cuda"],
               help="--check-dump reference: PyTorch on the CPU in f64, or "
                    "PyTorch CUDA in the model's type with TF32 off")
a = p.parse_args()
B, T, E, H, M, C = a.batch, a.seq, a.dim, a.heads, a.mlp_hidden, a.classes
if min(a.depth, B, T, E, H, M, C) < 1:
    p.error("--depth, --batch, --seq, --dim, --heads, --mlp-hidden and "
            "--classes must be positive")
if E % H:
    p.error(f"--heads {H} does not divide --dim {E}")
if not 0.0 <= a.dropout < 1.0:
    p.error("--dropout must be in [0, 1)")
Dh = E // H
DROPOUT = a.dropout > 0
SCORE_SCALE = 1.0 / math.sqrt(Dh)
LN_EPS = 1e-5

# ---------------------------------------------------------------------------
# The model's structure, shared by the MLIR emitter and the PyTorch reference.
# An argument's shape is a tuple, or "i64" for the scalar seed.
# ---------------------------------------------------------------------------
NO_GRAD = ("x", "target")
args = [("x", (B, T, E)), ("target", (B, T, C)),
        ("w_emb", (E, E)), ("b_emb", (E,))]
if DROPOUT:
    args.append(("seed", "i64"))
F_PARAMS = (("ln_g", (E,)), ("ln_b", (E,)), ("wq", (E, E)), ("bq", (E,)),
            ("wk", (E, E)), ("wv", (E, E)), ("bv", (E,)),
            ("wo", (E, E)), ("bo", (E,)))
G_PARAMS = (("ln_g", (E,)), ("ln_b", (E,)), ("w1", (M, E)), ("b1", (M,)),
            ("w2", (E, M)), ("b2", (E,)))
blocks = []          # per block: {"f": [arg names], "g": [arg names]}
for k in range(a.depth):
    names = {}
    for fn, params in (("f", F_PARAMS), ("g", G_PARAMS)):
        names[fn] = []
        for n, shape in params:
            name = f"{fn}{n}_{k}"
            args.append((name, shape))
            names[fn].append(name)
    blocks.append(names)
args += [("gamma_f", (E,)), ("beta_f", (E,)),
         ("w_head", (C, E)), ("b_head", (C,))]
grad_args = [i for i, (n, s) in enumerate(args)
             if n not in NO_GRAD and s != "i64"]

# ---------------------------------------------------------------------------
# Counter-based dropout masks (nn.fold_key, nn.dropout), bit for bit.
# ---------------------------------------------------------------------------
MASK64 = 0xFFFFFFFFFFFFFFFF
GOLDEN = 0x9E3779B97F4A7C15
DROPOUT_SALT = 0xD1B54A32D192ED03


def mix(z):
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def fold_key(key, salt):
    return mix((key & MASK64) + (((salt + 1) * GOLDEN) & MASK64))


def keep_mask(key, op_id, rate, count):
    """Keep bits of the `count` row-major elements of an nn.dropout."""
    base = mix((key & MASK64) ^ (((op_id + 1) * DROPOUT_SALT) & MASK64))
    threshold = math.floor(rate * 2.0 ** 24 + 0.5)      # llround, rate >= 0
    return [(mix(base + (e + 1) * GOLDEN) >> 40) >= threshold
            for e in range(count)]


# ---------------------------------------------------------------------------
# PyTorch reference.
# ---------------------------------------------------------------------------


def torch_check(path):
    import torch
    import torch.nn.functional as tf

    # On the CPU the reference runs in f64 whatever the model's type: f32
    # inputs are exact in f64, so it measures the compiled step's own
    # rounding only. On CUDA it is PyTorch's own f32 computation (cuBLAS
    # without TF32), which rounds too.
    device = torch.device(a.torch_device)
    if a.torch_device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("--torch-device cuda: PyTorch sees no CUDA device")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        dtype = torch.float64 if a.dtype == "f64" else torch.float32
        default_rtol = 1e-3
    else:
        dtype = torch.float64
        default_rtol = 1e-10 if a.dtype == "f64" else 1e-5
    rtol = a.rtol if a.rtol is not None else default_rtol

    raw_inputs, raw_results, header_grads = read_dump(path)
    if len(raw_inputs) != len(args):
        sys.exit(f"dump has {len(raw_inputs)} arguments, the model {len(args)}: "
                 "are the generator options the same?")
    if header_grads is not None and header_grads != grad_args:
        sys.exit(f"dump has gradients of arguments {header_grads}, the model "
                 f"{grad_args}: are the generator options the same?")

    def tensor(value):
        return to_torch(value, dtype).to(device)

    env = {}
    for i, (name, shape) in enumerate(args):
        kind, got_shape, value = raw_inputs[i]
        if shape == "i64":
            if kind != "i64":
                sys.exit(f"argument {i} ({name}) is {kind}, expected i64")
            env[name] = value & MASK64
            continue
        if kind == "i64" or tuple(got_shape) != shape:
            sys.exit(f"argument {i} ({name}) has shape "
                     f"{kind if kind == 'i64' else tuple(got_shape)}, "
                     f"expected {shape}")
        env[name] = tensor(raw_inputs[i]).requires_grad_(name not in NO_GRAD)

    def const(v):
        return torch.tensor(v, dtype=dtype, device=device)

    def dropout(x, key, op_id):
        keep = keep_mask(key, op_id, a.dropout, x.numel())
        mask = torch.tensor(keep, dtype=dtype, device=device).reshape(x.shape)
        return x * mask * const(1.0 / (1.0 - a.dropout))

    def layer_norm(x, g, b):
        return tf.layer_norm(x, (E,), g, b, eps=LN_EPS)

    def attn(x, names, key):
        ln_g, ln_b, wq, bq, wk, wv, bv, wo, bo = (env[n] for n in names)
        h = layer_norm(x, ln_g, ln_b)

        def heads(w, b):
            return tf.linear(h, w, b).reshape(B, T, H, Dh).permute(0, 2, 1, 3)

        q, k, v = heads(wq, bq), heads(wk, None), heads(wv, bv)
        s = torch.matmul(q, k.transpose(-1, -2)) * const(SCORE_SCALE)
        pr = torch.softmax(s, dim=3)
        if DROPOUT:
            pr = dropout(pr, key, 0)
        o = torch.matmul(pr, v).permute(0, 2, 1, 3).reshape(B, T, E)
        out = tf.linear(o, wo, bo)
        if DROPOUT:
            out = dropout(out, key, 1)
        return out

    def mlp(x, names, key):
        ln_g, ln_b, w1, b1, w2, b2 = (env[n] for n in names)
        h = layer_norm(x, ln_g, ln_b)
        u = tf.gelu(tf.linear(h, w1, b1), approximate=a.gelu)
        out = tf.linear(u, w2, b2)
        if DROPOUT:
            out = dropout(out, key, 0)
        return out

    x1 = tf.linear(env["x"], env["w_emb"], env["b_emb"])
    x2 = x1
    for k, ps in enumerate(blocks):
        kf = fold_key(env["seed"], 2 * k) if DROPOUT else None
        kg = fold_key(env["seed"], 2 * k + 1) if DROPOUT else None
        x1 = x1 + attn(x2, ps["f"], kf)
        x2 = x2 + mlp(x1, ps["g"], kg)
    o = layer_norm(x1 + x2, env["gamma_f"], env["beta_f"])
    d = tf.linear(o, env["w_head"], env["b_head"]) - env["target"]
    loss = (d * d).mean()
    grads = torch.autograd.grad(loss, [env[args[i][0]] for i in grad_args])
    reference = [loss.detach().cpu()] + [g.detach().cpu() for g in grads]
    labels = ["loss"] + [f"d({args[i][0]})" for i in grad_args]

    compare(raw_results, reference, labels, rtol,
            lambda value: to_torch(value, dtype))


# ---------------------------------------------------------------------------
# MLIR emitter.
# ---------------------------------------------------------------------------


def t(*shape):
    return "tensor<" + "".join(f"{s}x" for s in shape) + a.dtype + ">"


def ty(shape):
    return "i64" if shape == "i64" else t(*shape)


def flt(v):
    """A float literal MLIR parses back to the same double."""
    r = repr(float(v))
    mant, _, exp = r.partition("e")
    if "." not in mant:
        mant += ".0"
    return mant + ("e" + exp if exp else "")


def dropout_line(res, inp, op_id, shape):
    return (f"  {res} = nn.dropout {inp}, %key {{id = {op_id} : i64, "
            f"rate = {flt(a.dropout)} : f64}} : {t(*shape)}")


def finish(body, op_id):
    """Returns %out of a coupling function, through dropout `op_id` if on."""
    res = "%out"
    if DROPOUT:
        body.append(dropout_line("%outd", "%out", op_id, (B, T, E)))
        res = "%outd"
    body.append(f"  return {res} : {t(B, T, E)}")


def emit():
    x, e, key = t(B, T, E), t(E), ", %key: i64" if DROPOUT else ""
    out = []
    # F: pre-LayerNorm multi-head self-attention.
    fparams = ", ".join(f"%{n}: {t(*s)}" for n, s in F_PARAMS)
    body = [f"  %h, %h_mean, %h_rstd = nn.layer_norm %x, %ln_g, %ln_b : {x}, {e}"]
    for n in ("q", "k", "v"):
        # The key projection has no bias: it would add q . b_k to a whole row
        # of scores, which the softmax cancels (its gradient is zero).
        body += [f"  %{n} = nn.linear %h, %w{n} : {x}, {t(E, E)}" if n == "k" else
                 f"  %{n} = nn.linear %h, %w{n}, %b{n} : {x}, {t(E, E)}, {e}",
                 f"  %{n}4 = nn.reshape %{n} : {x} -> {t(B, T, H, Dh)}",
                 f"  %{n}h = nn.transpose %{n}4 perm [0, 2, 1, 3] : "
                 f"{t(B, T, H, Dh)}"]
    body += [f"  %s = nn.matmul %qh, %kh {{transpose_rhs}} : {t(B, H, T, Dh)}, "
             f"{t(B, H, T, Dh)}",
             f"  %s2 = nn.scale %s by {flt(SCORE_SCALE)} : {t(B, H, T, T)}",
             f"  %p = nn.softmax %s2 dim 3 : {t(B, H, T, T)}"]
    probs = "%p"
    if DROPOUT:
        body.append(dropout_line("%pd", "%p", 0, (B, H, T, T)))
        probs = "%pd"
    body += [f"  %o = nn.matmul {probs}, %vh : {t(B, H, T, T)}, {t(B, H, T, Dh)}",
             f"  %o2 = nn.transpose %o perm [0, 2, 1, 3] : {t(B, H, T, Dh)}",
             f"  %o3 = nn.reshape %o2 : {t(B, T, H, Dh)} -> {x}",
             f"  %out = nn.linear %o3, %wo, %bo : {x}, {t(E, E)}, {e}"]
    finish(body, 1)
    out.append(f"func.func private @attn(%x: {x}, {fparams}{key}) -> {x} {{\n"
               + "\n".join(body) + "\n}")

    # G: pre-LayerNorm MLP.
    gparams = ", ".join(f"%{n}: {t(*s)}" for n, s in G_PARAMS)
    gelu_attr = ' {approximate = "tanh"}' if a.gelu == "tanh" else ""
    body = [f"  %h, %h_mean, %h_rstd = nn.layer_norm %x, %ln_g, %ln_b : {x}, {e}",
            f"  %u = nn.linear %h, %w1, %b1 : {x}, {t(M, E)}, {t(M)}",
            f"  %a = nn.gelu %u{gelu_attr} : {t(B, T, M)}",
            f"  %out = nn.linear %a, %w2, %b2 : {t(B, T, M)}, {t(E, M)}, {e}"]
    finish(body, 0)
    out.append(f"func.func private @mlp(%x: {x}, {gparams}{key}) -> {x} {{\n"
               + "\n".join(body) + "\n}")

    # The loss.
    body = [f"  %x1 = nn.linear %x, %w_emb, %b_emb : {x}, {t(E, E)}, {e}"]
    cur1, cur2 = "%x1", "%x1"
    ftypes = ", ".join(t(*s) for _, s in F_PARAMS)
    gtypes = ", ".join(t(*s) for _, s in G_PARAMS)
    if DROPOUT:
        ftypes += ", i64"
        gtypes += ", i64"
    for k, ps in enumerate(blocks):
        fops = ["%" + n for n in ps["f"]]
        gops = ["%" + n for n in ps["g"]]
        if DROPOUT:
            body += [f"  %kf_{k} = nn.fold_key %seed, {2 * k}",
                     f"  %kg_{k} = nn.fold_key %seed, {2 * k + 1}"]
            fops.append(f"%kf_{k}")
            gops.append(f"%kg_{k}")
        y1, y2 = f"%y1_{k}", f"%y2_{k}"
        body.append(f"  {y1}, {y2} = rev.block({cur1}, {cur2}) "
                    f"f @attn({', '.join(fops)} : {ftypes}) "
                    f"g @mlp({', '.join(gops)} : {gtypes}) : {x}, {x}")
        cur1, cur2 = y1, y2
    body += [f"  %s = nn.add {cur1}, {cur2} : {x}, {x}",
             f"  %o, %o_mean, %o_rstd = nn.layer_norm %s, %gamma_f, %beta_f : "
             f"{x}, {e}",
             f"  %pred = nn.linear %o, %w_head, %b_head : {x}, {t(C, E)}, {t(C)}",
             f"  %d = nn.sub %pred, %target : {t(B, T, C)}, {t(B, T, C)}",
             f"  %sq = nn.mul %d, %d : {t(B, T, C)}, {t(B, T, C)}",
             f"  %loss = nn.mean %sq dims [0, 1, 2] : {t(B, T, C)}",
             f"  return %loss : {t()}"]
    arg_decls = []
    for name, shape in args:
        attr = " {rev.no_grad}" if name in NO_GRAD else ""
        arg_decls.append(f"%{name}: {ty(shape)}{attr}")
    out.append("func.func @loss(" + ", ".join(arg_decls) + f") -> {t()} {{\n" +
               "\n".join(body) + "\n}")
    print(f"// Generated by utils/gen-rev-vit.py: depth {a.depth}, batch {B}, "
          f"seq {T}, dim {E}, heads {H}, mlp-hidden {M}, classes {C}, "
          f"{a.dtype}, gelu {a.gelu}"
          + (f", dropout {flt(a.dropout)}" if DROPOUT else ""))
    print("\n".join(out))


if __name__ == "__main__":
    if a.check_dump:
        torch_check(a.check_dump)
    emit()
