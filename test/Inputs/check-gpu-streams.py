"""Checks the stream structure of convert-rev-to-gpu's output against the
schedule it lowered.

usage: check-gpu-streams.py scheduled.mlir lowered.mlir

* every GPU op other than a join has exactly one dependency;
* every token continues its stream's chain at most once (no forks): the
  chain goes through an op's only dependency or a join's first one;
* chains (gpu.wait async without dependencies) = the schedule's streams;
* each join waits for tokens of other chains than its own;
* joins = tasks with a cross-stream `after` edge, plus one final join when
  there is more than one stream;
* the final gpu.wait synchronizes every CUDA stream exactly once: the chain
  ends, and the stream each join replaced (a join lowers to a new stream
  that waits for events on the others).
Prints a summary line per check; FileCheck matches them.
"""
import re
import sys

scheduled, lowered = open(sys.argv[1]).read(), open(sys.argv[2]).read()

# The schedule: stream of each task token, cross-stream edges per task.
stream_of, cross_tasks, streams = {}, 0, set()
for m in re.finditer(r"(%[\w.]+)(?:, [^=\n]*)? = rev\.task stream (\d+)([^{\n]*)\{",
                     scheduled):
    token, stream, rest = m.group(1), int(m.group(2)), m.group(3)
    stream_of[token] = stream
    streams.add(stream)
    after = re.search(r"after\(([^)]*)\)", rest)
    deps = re.findall(r"%[\w.]+", after.group(1)) if after else []
    if any(stream_of[d] != stream for d in deps):
        cross_tasks += 1

ops = []  # (kind, result token, deps)
for line in lowered.splitlines():
    line = line.strip()
    m = re.match(r"(?:%[\w.]+, )?(%[\w.]+) = gpu\.(wait|launch|alloc|dealloc|"
                 r"memcpy|memset) async(?: \[([^\]]*)\])?", line)
    if m:
        deps = re.findall(r"%[\w.]+", m.group(3) or "")
        ops.append((m.group(2), m.group(1), deps))
        continue
    m = re.match(r"gpu\.wait \[([^\]]*)\]", line)
    if m:
        ops.append(("sync", None, re.findall(r"%[\w.]+", m.group(1))))

errors = []
chain_of, continued, joins, roots, syncs = {}, set(), 0, 0, []
replaced = []  # tokens whose CUDA stream a join ended
for kind, token, deps in ops:
    if kind == "sync":
        syncs.append(deps)
        continue
    if kind == "wait" and not deps:
        roots += 1
        chain_of[token] = roots
        continue
    if kind != "wait" and len(deps) != 1:
        errors.append(f"gpu.{kind} has {len(deps)} dependencies")
        continue
    own = deps[0]
    if own in continued:
        errors.append(f"token {own} continues a chain twice (a fork)")
    continued.add(own)
    chain_of[token] = chain_of.get(own)
    if kind == "wait":
        joins += 1
        replaced.append(own)
        if len(deps) < 2 or any(chain_of.get(d) == chain_of[token]
                                for d in deps[1:]):
            errors.append(f"join {token} does not wait for another chain")

ends = [t for t in chain_of if t not in continued] + replaced
final = syncs[-1] if syncs else []
if sorted(final) != sorted(ends) or len(set(final)) != len(final):
    errors.append(f"final gpu.wait {final} is not the CUDA streams {ends}")

expected_joins = cross_tasks + (1 if len(streams) > 1 else 0)
print(f"streams: schedule {len(streams)}, chains {roots}")
print(f"joins: {joins}, expected {expected_joins}")
print(f"CUDA streams synchronized: {len(ends)}")
for e in errors:
    print("ERROR:", e)
if roots != len(streams) or joins != expected_joins or errors:
    print("MISMATCH")
    sys.exit(1)
print("OK")
