// Options of the shared stages that the chosen target has no use for, or
// values they do not take, are rejected with a message.
// RUN: echo "" | not pareprop-opt --rev-tasks-to-buffers="target=cpu gemm-math=tf32" 2>&1 | FileCheck %s --check-prefix=CPU-GEMM
// RUN: echo "" | not pareprop-opt --rev-tasks-to-buffers="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: echo "" | not pareprop-opt --rev-tasks-to-buffers="target=gpu gemm-math=fast" 2>&1 | FileCheck %s --check-prefix=GEMM-VALUE
// RUN: echo "" | pareprop-opt --rev-tasks-to-buffers="target=gpu gemm-math=tf32" | FileCheck %s --check-prefix=GPU-GEMM

// CPU-GEMM: rev-tasks-to-buffers: gemm-math is an option of the GPU target (cuBLAS math modes); the CPU's CBLAS products are exact f32
// TARGET: for the --target option: Cannot find option named 'tpu'!
// GEMM-VALUE: for the --gemm-math option: Cannot find option named 'fast'!
// GPU-GEMM: module
