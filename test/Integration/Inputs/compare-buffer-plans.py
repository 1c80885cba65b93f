"""Checks that planned buffer lifetimes lower every schedule's peak.

usage: compare-buffer-plans.py PLANNED.out UNPLANNED.out
The peak of each one-stream schedule (stored, vanilla) with --plan-buffers
(temporaries freed at their last use) must be at most 90% of its peak with
--plan-buffers=false (freed when their function returns). Two-stream
schedules are left out: their peak depends on which stream runs ahead.
"""
import sys


def peaks(path):
    out = {}
    for line in open(path):
        f = line.split()
        if f and f[0] in ("stored", "vanilla"):
            out[f[0]] = float(f[-2])
    return out


planned, unplanned = peaks(sys.argv[1]), peaks(sys.argv[2])
ok = set(planned) == set(unplanned) == {"stored", "vanilla"}
for s in sorted(planned):
    ratio = planned[s] / unplanned[s]
    good = ratio <= 0.9
    ok &= good
    print(f"{s}: {unplanned[s]:.1f} -> {planned[s]:.1f} KiB "
          f"({ratio:.2f}): {'PASS' if good else 'FAIL'}")
sys.exit(0 if ok else 1)
