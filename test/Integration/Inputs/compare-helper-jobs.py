"""Reads pareprop-run's output and says whether schedule A's tasks handed
more kernel halves to the helper thread per step than schedule B's."""
import re
import sys

a, b = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    if line.startswith("kernel halves on the helper thread per step:"):
        counts = dict(re.findall(r"(\S+) (\d+)", line.split(":", 1)[1]))
        if int(counts[a]) > int(counts[b]):
            print(f"{a} splits more than {b}")
        else:
            print(f"{a} does not split more than {b}: {counts[a]} <= {counts[b]}")
        sys.exit(0)
sys.exit("no helper line in the input")
