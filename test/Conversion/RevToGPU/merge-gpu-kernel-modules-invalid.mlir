// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -pareprop-merge-gpu-kernel-modules

// A launch of a kernel that no module defines is refused before the pass
// runs (the GPU dialect's verifier), not merged into a dangling reference.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k() kernel {
      gpu.return
    }
  }
  func.func @step() {
    %c1 = arith.constant 1 : index
    // expected-error@+1 {{kernel function '@kernels::@missing' is undefined}}
    gpu.launch_func @kernels::@missing blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
