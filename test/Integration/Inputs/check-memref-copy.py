"""Calls the CUDA runtime's host-side memrefCopy (no GPU involved) on a
transposed, offset source and checks every element landed: the copy that
host functions of a GPU executable make for strided memrefs."""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])


class Unranked(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int64), ("descriptor", ctypes.c_void_p)]


def descriptor(buffer, offset, sizes, strides):
    fields = [ctypes.addressof(buffer), ctypes.addressof(buffer), offset]
    fields += sizes + strides
    return (ctypes.c_int64 * len(fields))(*fields)


# Source: a 3x4 view of a float buffer at offset 2, read column-major
# (strides 1, 3): element (i, j) is buffer[2 + i + 3 j].
source = (ctypes.c_float * 16)(*[float(k) for k in range(16)])
target = (ctypes.c_float * 12)()
src = descriptor(source, 2, [3, 4], [1, 3])
dst = descriptor(target, 0, [3, 4], [4, 1])
lib.memrefCopy(ctypes.c_int64(4), ctypes.byref(Unranked(2, ctypes.cast(src, ctypes.c_void_p))),
               ctypes.byref(Unranked(2, ctypes.cast(dst, ctypes.c_void_p))))
wrong = [(i, j) for i in range(3) for j in range(4)
         if target[4 * i + j] != float(2 + i + 3 * j)]
print("memrefCopy: all 12 elements" if not wrong else f"memrefCopy: wrong at {wrong}")
