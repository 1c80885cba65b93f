#!/usr/bin/env python3
"""Emit a model of MLP-coupled reversible blocks in the rev/nn dialects, or
check a pareprop-run dump of it against PyTorch autograd.

The loss function @loss(x, target, params...) runs a prefix (two linear
maps, one through tanh), `--stages` reversible stacks of `--depth` blocks
each separated by a non-reversible transition (linear + GELU), and a suffix
(linear head, mean squared error). Every block shares the functions @F and
@G (Linear-act-Linear with biases) and has parameters of its own, unless
--tied makes all blocks share one set.

  gen-rev-mlp.py --depth 3 > model.mlir
  pareprop-run model.mlir --dump dump.txt
  gen-rev-mlp.py --depth 3 --check-dump dump.txt     # same model options
"""
import argparse
import sys

from dump_check import compare, read_dump, to_torch

p = argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--depth", type=int, default=2, help="blocks per stage")
p.add_argument("--stages", type=int, default=1,
               help="reversible stacks, separated by non-reversible layers")
p.add_argument("--batch", type=int, default=4)
p.add_argument("--dim", type=int, default=6, help="width of X1 and X2")
p.add_argument("--hidden", type=int, default=10, help="hidden width of F, G")
p.add_argument("--dtype", default="f32", choices=["f32", "f64"])
p.add_argument("--act-f", default="gelu", choices=["gelu", "relu", "tanh"])
p.add_argument("--act-g", default="relu", choices=["gelu", "relu", "tanh"])
p.add_argument("--tied", action="store_true",
               help="all blocks share one set of parameters")
p.add_argument("--check-dump", metavar="FILE",
               help="compare the results in a pareprop-run --dump file with "
                    "PyTorch autograd on the same inputs, instead of emitting")
p.add_argument("--rtol", type=float, default=None,
               help="--check-dump tolerance (default 1e-5 for f32, 1e-10 for f64)")
a = p.parse_args()
B, D, H = a.batch, a.dim, a.hidden

# ---------------------------------------------------------------------------
# The model's structure, shared by the MLIR emitter and the PyTorch reference.
# ---------------------------------------------------------------------------
args = [("x", (B, D)), ("target", (B, D)), ("w_in1", (D, D)), ("w_in2", (D, D))]
PARAM_SHAPES = (("w1", (D, H)), ("b1", (H,)), ("w2", (H, D)), ("b2", (D,)))
stages = []          # per stage: list of blocks, each (f param names, g param names)
param_sets = {}


def params(key):
    key = "tied" if a.tied else key
    if key not in param_sets:
        names = {}
        for fn in ("f", "g"):
            names[fn] = []
            for n, shape in PARAM_SHAPES:
                name = f"{fn}{n}_{key}"
                args.append((name, shape))
                names[fn].append(name)
        param_sets[key] = names
    return param_sets[key]


for s in range(a.stages):
    stages.append([params(f"s{s}b{k}") for k in range(a.depth)])
    if s + 1 < a.stages:
        args.append((f"wt_{s}", (D, D)))
args.append(("w_out", (D, D)))

# ---------------------------------------------------------------------------
# PyTorch reference.
# ---------------------------------------------------------------------------


def torch_check(path):
    import torch
    import torch.nn.functional as tf

    acts = {"gelu": tf.gelu, "relu": torch.relu, "tanh": torch.tanh}
    dtype = torch.float64 if a.dtype == "f64" else torch.float32
    rtol = a.rtol if a.rtol is not None else (1e-10 if a.dtype == "f64" else 1e-5)

    raw_inputs, raw_results, _ = read_dump(path)

    def tensor(value):
        return to_torch(value, dtype)

    inputs = {i: tensor(v) for i, v in raw_inputs.items()}
    if len(inputs) != len(args):
        sys.exit(f"dump has {len(inputs)} arguments, the model {len(args)}: "
                 "are the generator options the same?")
    env = {}
    for i, (name, shape) in enumerate(args):
        t = inputs[i].clone().requires_grad_(name != "target")
        if tuple(t.shape) != shape:
            sys.exit(f"argument {i} ({name}) has shape {tuple(t.shape)}, expected {shape}")
        env[name] = t

    def mlp(x, names, act):
        w1, b1, w2, b2 = (env[n] for n in names)
        return act(x @ w1 + b1) @ w2 + b2

    x1 = env["x"] @ env["w_in1"]
    x2 = torch.tanh(env["x"] @ env["w_in2"])
    for s, blocks in enumerate(stages):
        for ps in blocks:
            x1 = x1 + mlp(x2, ps["f"], acts[a.act_f])
            x2 = x2 + mlp(x1, ps["g"], acts[a.act_g])
        if s + 1 < len(stages):
            x1 = tf.gelu((x1 + x2) @ env[f"wt_{s}"])
    d = (x1 + x2) @ env["w_out"] - env["target"]
    loss = (d * d).mean()
    grad_args = [i for i, (n, _) in enumerate(args) if n != "target"]
    grads = torch.autograd.grad(loss, [env[args[i][0]] for i in grad_args])
    reference = [loss.detach()] + [g.detach() for g in grads]

    labels = ["loss"] + [f"d({args[i][0]})" for i in grad_args]
    compare(raw_results, reference, labels, rtol, tensor)


if a.check_dump:
    torch_check(a.check_dump)

# ---------------------------------------------------------------------------
# MLIR emitter.
# ---------------------------------------------------------------------------
T = a.dtype


def t(*shape):
    return "tensor<" + "".join(f"{s}x" for s in shape) + T + ">"


out = []
for name, act in (("F", a.act_f), ("G", a.act_g)):
    out.append(f"""func.func @{name}(%x: {t(B, D)}, %w1: {t(D, H)}, %b1: {t(H)}, %w2: {t(H, D)}, %b2: {t(D)}) -> {t(B, D)} {{
  %h = nn.matmul %x, %w1 : {t(B, D)}, {t(D, H)}
  %hb = nn.add %h, %b1 : {t(B, H)}, {t(H)}
  %a = nn.{act} %hb : {t(B, H)}
  %o = nn.matmul %a, %w2 : {t(B, H)}, {t(H, D)}
  %ob = nn.add %o, %b2 : {t(B, D)}, {t(D)}
  return %ob : {t(B, D)}
}}""")

body = [f"  %p1 = nn.matmul %x, %w_in1 : {t(B, D)}, {t(D, D)}",
        f"  %p2m = nn.matmul %x, %w_in2 : {t(B, D)}, {t(D, D)}",
        f"  %p2 = nn.tanh %p2m : {t(B, D)}"]
cur1, cur2 = "%p1", "%p2"
ptypes = f"{t(D, H)}, {t(H)}, {t(H, D)}, {t(D)}"
for s, blocks in enumerate(stages):
    for k, ps in enumerate(blocks):
        y1, y2 = f"%y1_s{s}b{k}", f"%y2_s{s}b{k}"
        f_names = ", ".join("%" + n for n in ps["f"])
        g_names = ", ".join("%" + n for n in ps["g"])
        body.append(f"  {y1}, {y2} = rev.block({cur1}, {cur2}) "
                    f"f @F({f_names} : {ptypes}) g @G({g_names} : {ptypes}) "
                    f": {t(B, D)}, {t(B, D)}")
        cur1, cur2 = y1, y2
    if s + 1 < len(stages):
        body += [f"  %h_{s} = nn.add {cur1}, {cur2} : {t(B, D)}, {t(B, D)}",
                 f"  %hm_{s} = nn.matmul %h_{s}, %wt_{s} : {t(B, D)}, {t(D, D)}",
                 f"  %t_{s} = nn.gelu %hm_{s} : {t(B, D)}"]
        cur1 = f"%t_{s}"
body += [f"  %s = nn.add {cur1}, {cur2} : {t(B, D)}, {t(B, D)}",
         f"  %o = nn.matmul %s, %w_out : {t(B, D)}, {t(D, D)}",
         f"  %d = nn.sub %o, %target : {t(B, D)}, {t(B, D)}",
         f"  %sq = nn.mul %d, %d : {t(B, D)}, {t(B, D)}",
         f"  %loss = nn.mean %sq dims [0, 1] : {t(B, D)}",
         f"  return %loss : {t()}"]
arg_decls = []
for name, shape in args:
    attr = " {rev.no_grad}" if name == "target" else ""
    arg_decls.append(f"%{name}: {t(*shape)}{attr}")
out.append("func.func @loss(" + ", ".join(arg_decls) + f") -> {t()} {{\n" +
           "\n".join(body) + "\n}")
print(f"// Generated by utils/gen-rev-mlp.py: depth {a.depth}, stages "
      f"{a.stages}, batch {B}, dim {D}, hidden {H}, {T}"
      f"{', tied' if a.tied else ''}, F {a.act_f}, G {a.act_g}")
print("\n".join(out))
