"""Checks that a runtime library defines every mgpu* and pareprop_cuda_*
function an LLVM IR file declares.

usage: check-runtime-symbols.py FILE.ll LIBRARY.so LLVM_NM
Prints each declared function with 'defined' or 'MISSING'; exits 1 when one
is missing or when the file declares none.
"""
import re
import subprocess
import sys

ir, library, nm = sys.argv[1:4]
declared = sorted(set(re.findall(r"^declare [^@]*@((?:mgpu|pareprop_cuda_)\w+)\(",
                                 open(ir).read(), re.M)))
defined = set(
    line.split()[-1]
    for line in subprocess.run([nm, "-D", "--defined-only", library],
                               check=True, capture_output=True,
                               text=True).stdout.splitlines())
ok = bool(declared)
for name in declared:
    print(f"{name}: {'defined' if name in defined else 'MISSING'}")
    ok &= name in defined
print(f"{len(declared)} runtime functions declared")
sys.exit(0 if ok else 1)
