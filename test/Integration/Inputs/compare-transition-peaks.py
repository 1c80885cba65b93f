"""Compares peak memory of two pareprop-run outputs of the same model, with
stored and with checkpointed transitions.

usage: compare-transition-peaks.py STORED.out CHECKPOINT.out SCHEDULE...
Checkpointed transitions keep only their inputs through the backward, so
every listed schedule's measured peak (and predicted peak) must be lower.
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
for s in sys.argv[3:]:
    (m0, p0), (m1, p1) = stored[s], checkpoint[s]
    lower = m1 < m0 and p1 < p0
    ok &= lower
    print(f"{s}: measured {m0:.1f} -> {m1:.1f} KiB, predicted {p0:.1f} -> "
          f"{p1:.1f} KiB: {'lower' if lower else 'NOT LOWER'}")
sys.exit(0 if ok else 1)
