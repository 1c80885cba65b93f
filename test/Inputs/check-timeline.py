"""Summarizes a Chrome trace timeline written by pareprop and checks its
structure: every complete event has args kind/block/stream matching its
track, and no stream runs two events at once. At op granularity
(param-grad events), it also reports which parameter-gradient work runs
beside the input gradient of the block before it."""
import argparse
import json
import sys

p = argparse.ArgumentParser()
p.add_argument("trace")
p.add_argument("--streams", type=int, required=True)
p.add_argument("--blocks", type=int, required=True)
a = p.parse_args()

data = json.load(open(a.trace))
events = [e for e in data["traceEvents"] if e.get("ph") == "X"]
tracks = {e["tid"]: e["args"]["name"] for e in data["traceEvents"]
          if e.get("ph") == "M" and e["name"] == "thread_name"}
for e in events:
    args = e["args"]
    assert set(args) == {"kind", "block", "stream"}, args
    assert args["stream"] == e["tid"], e
    assert tracks[e["tid"]] == f"stream {e['tid']}", tracks
    assert e["dur"] > 0, e
streams = sorted({e["tid"] for e in events})
print(f"events {len(events)}, streams {streams}")
assert len(streams) == a.streams
print("kinds", " ".join(sorted({e["args"]["kind"] for e in events})))
for kind in ("recompute", "grad"):
    mine = [e for e in events if e["args"]["kind"] == kind]
    blocks = sorted(e["args"]["block"] for e in mine)
    assert blocks == list(range(a.blocks)), blocks
    print(f"{kind} blocks {blocks} on streams {sorted({e['tid'] for e in mine})}")
for s in streams:
    mine = sorted((e["ts"], e["ts"] + e["dur"]) for e in events if e["tid"] == s)
    for (s0, e0), (s1, e1) in zip(mine, mine[1:]):
        if s1 < e0 - 1e-6:
            sys.exit(f"stream {s}: overlapping events at {s1}")
print("no stream runs two events at once")

# How much of the backward (after the last forward block) has two or more
# streams busy: reported, not checked (measured timelines vary).
forward = [e for e in events if e["args"]["kind"] == "forward" and e["args"]["block"] >= 0]
if forward:
    start = max(e["ts"] + e["dur"] for e in forward)
    end = max(e["ts"] + e["dur"] for e in events)
    points = sorted({t for e in events for t in (e["ts"], e["ts"] + e["dur"]) if t >= start} | {start})
    both = sum(b - a for a, b in zip(points, points[1:])
               if sum(1 for e in events if e["ts"] <= a and e["ts"] + e["dur"] >= b) >= 2)
    if end > start:
        print(f"two or more streams busy for {100 * both / (end - start):.0f}% of the backward")
pg = [e for e in events if e["args"]["kind"] == "param-grad"]
if pg:
    print("param-grad blocks", sorted({e["args"]["block"] for e in pg}),
          "on streams", sorted({e["tid"] for e in pg}))

    def overlaps(a, b):
        return a["ts"] < b["ts"] + b["dur"] and b["ts"] < a["ts"] + a["dur"]

    for k in sorted({e["args"]["block"] for e in pg}):
        beside = sorted({o["args"]["kind"] for e in pg if e["args"]["block"] == k
                         for o in events if o["tid"] != e["tid"] and overlaps(e, o)})
        print(f"dW of block {k} runs beside: {' '.join(beside) or 'nothing'}")
