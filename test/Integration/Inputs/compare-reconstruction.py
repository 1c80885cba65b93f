"""Checks the reconstruction report of two pareprop-run outputs.

usage: compare-reconstruction.py NORMAL.out SCALED.out
With ordinary weights the recomputed block inputs of an f32 model must match
the forward's to ~0 (worst relative error below 1e-4); with scaled-up
weights the same model's error must be at least 100 times larger.
"""
import sys


def worst(path):
    found = {}
    for line in open(path):
        if line.startswith("worst relative reconstruction error, "):
            schedule, rest = line.split(", ", 1)[1].split(":", 1)
            found[schedule] = float(rest.split()[0])
    if not found:
        sys.exit(f"{path}: no reconstruction report")
    return found


normal, scaled = worst(sys.argv[1]), worst(sys.argv[2])
ok = True
for schedule, err in normal.items():
    grown = scaled[schedule]
    good = err < 1e-4 and grown >= 100 * err
    ok &= good
    print(f"{schedule}: {err:.3e} -> {grown:.3e} with scaled weights: "
          f"{'PASS' if good else 'FAIL'}")
sys.exit(0 if ok else 1)
