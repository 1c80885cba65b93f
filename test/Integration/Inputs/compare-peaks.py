"""Checks how peak memory grows with depth in two pareprop-run outputs.

usage: compare-peaks.py SHALLOW.out DEEP.out
Reversible schedules must not grow with depth by more than 10% of what
ordinary backprop grows by (their activation memory is constant; what they
do grow by is per-task bookkeeping), and must stay under half of ordinary
backprop's peak at the deeper depth.
"""
import sys


def peaks(path):
    out = {}
    for line in open(path):
        f = line.split()
        if f and f[0] in ("stored", "vanilla", "pareprop"):
            out[f[0]] = float(f[-1])
    return out


shallow, deep = peaks(sys.argv[1]), peaks(sys.argv[2])
stored_growth = deep["stored"] - shallow["stored"]
ok = stored_growth > 0
print(f"stored: {shallow['stored']:.1f} -> {deep['stored']:.1f} KiB")
for s in ("vanilla", "pareprop"):
    growth = deep[s] - shallow[s]
    flat = growth <= 0.1 * stored_growth
    small = deep[s] < 0.5 * deep["stored"]
    ok &= flat and small
    print(f"{s}: {shallow[s]:.1f} -> {deep[s]:.1f} KiB, growth "
          f"{growth / stored_growth:.1%} of stored's: "
          f"{'PASS' if flat and small else 'FAIL'}")
sys.exit(0 if ok else 1)
