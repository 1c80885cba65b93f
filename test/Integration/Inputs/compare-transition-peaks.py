"""Compares peak memory of two pareprop-run outputs of the same model, with
stored and with checkpointed transitions.

usage: compare-transition-peaks.py STORED.out CHECKPOINT.out SCHEDULE[:predicted]...
Checkpointed transitions keep only their inputs through the backward, so
every listed schedule's measured peak (and predicted peak) must be lower.
With ":predicted" only the prediction is compared: the measured peak of a
two-stream schedule depends on how its streams interleave in that run.
"""
import sys


def peaks(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 8 and f[3] in ("PASS", "ref"):
            out[f[0]] = (float(f[6]), float(f[7]))
    return out


stored, checkpoint = peaks(sys.argv[1]), peaks(sys.argv[2])
ok = True
for arg in sys.argv[3:]:
    s, _, only = arg.partition(":")
    (m0, p0), (m1, p1) = stored[s], checkpoint[s]
    lower = p1 < p0 and (only == "predicted" or m1 < m0)
    ok &= lower
    print(f"{s}: measured {m0:.1f} -> {m1:.1f} KiB, predicted {p0:.1f} -> "
          f"{p1:.1f} KiB: {'lower' if lower else 'NOT LOWER'}")
sys.exit(0 if ok else 1)
