"""Compares the loss and gradient checksum of GPU benchmark reports.

usage: compare-gpu-reports.py RTOL REPORT...
Prints 'agree' when every report's loss and checksum are within RTOL
(relative to the first report's), the differing values otherwise.
"""
import re
import sys

rtol = float(sys.argv[1])
values = []
for path in sys.argv[2:]:
    text = open(path).read()
    values.append(tuple(float(re.search(rf"^{key}: (\S+)", text, re.M).group(1))
                        for key in ("loss", "gradient checksum")))
ref = values[0]
bad = [(p, v) for p, v in zip(sys.argv[2:], values)
       if any(abs(a - b) > rtol * max(abs(b), 1e-12) for a, b in zip(v, ref))]
print("agree" if not bad else f"differ from {ref}: {bad}")
sys.exit(1 if bad else 0)
