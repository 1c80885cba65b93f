#!/usr/bin/env bash
# Compiles a model (rev blocks over nn ops, as pareprop.export or
# pareprop-import write it) into a self-contained GPU benchmark executable:
#
#   utils/build-gpu-executable.sh model.mlir model.exe [rev-to-gpu options]
#   ./model.exe --steps 20 --warmup 3
#
# e.g. `policy=pareprop chip=sm_90 gemm-math=tf32`. The executable needs only
# libpareprop_cuda_runtime.so (copied next to it, found through its rpath),
# the NVIDIA driver and cuBLAS at run time: no MLIR or LLVM library.
# BUILD_DIR (default: build) is the project's build tree.
set -euo pipefail
# A sanitized test's Python process preloads the sanitizer runtime
# (test/lit.cfg.py); this shell and the compilers and linkers it runs are
# not sanitized programs and must not inherit it (the project's own tools
# link it themselves).
if [ -n "${LD_PRELOAD:-}" ]; then
  exec env -u LD_PRELOAD bash "$0" "$@"
fi
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
model=$1 out=$2
shift 2
options="benchmark-entry $*"
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
llvm_bin=${LLVM_BIN:-/usr/lib/llvm-22/bin}
runtime=$build/lib/libpareprop_cuda_runtime.so
main_lib=$build/lib/libpareprop_cuda_main.a
for f in "$runtime" "$main_lib"; do
  if [ ! -f "$f" ]; then
    echo "build-gpu-executable: $f is missing (configure with a CUDA toolkit and build)" >&2
    exit 1
  fi
done
# MLIR's NVVM target finds ptxas and libdevice through CUDA_HOME.
if [ -z "${CUDA_HOME:-}" ] && [ -d /usr/local/cuda ]; then
  export CUDA_HOME=/usr/local/cuda
fi
export PATH="$PATH:${CUDA_HOME:-/usr/local/cuda}/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bin/pareprop-opt" "$model" --rev-to-gpu="$options" -o "$work/step.mlir"
"$llvm_bin/mlir-translate" --mlir-to-llvmir "$work/step.mlir" -o "$work/step.ll"
"$llvm_bin/llc" -O2 -filetype=obj -relocation-model=pic "$work/step.ll" -o "$work/step.o"
out_dir=$(cd "$(dirname "$out")" && pwd)
cp "$runtime" "$out_dir/"
# The build's link command (lib/Runtime/CMakeLists.txt); $CXX overrides it.
read -r -a link <<< "${CXX:-$(cat "$build/lib/pareprop-gpu-link" 2>/dev/null || echo c++)}"
"${link[@]}" "$work/step.o" "$main_lib" -o "$out" -L"$out_dir" \
  -lpareprop_cuda_runtime -Wl,-rpath,'$ORIGIN'
echo "wrote $out (with $(basename "$runtime") beside it)"
