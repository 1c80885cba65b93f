// RUN: pareprop-opt %s -split-input-file -pareprop-merge-gpu-kernel-modules | FileCheck %s

// Two launches of the same kernel body (outlined from two blocks) and one of
// another: one module, two kernels, every launch pointing at its copy.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.module @pareprop_kernels {
// CHECK: gpu.func @scale_0(
// CHECK: arith.mulf
// CHECK: gpu.func @add_0(
// CHECK: arith.addf
// CHECK-NOT: gpu.func
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK: func.func @step
// CHECK: gpu.launch_func @pareprop_kernels::@scale_0
// CHECK: gpu.launch_func @pareprop_kernels::@scale_0
// CHECK: gpu.launch_func @pareprop_kernels::@add_0
module attributes {gpu.container_module} {
  gpu.module @scale_0 {
    gpu.func @step_kernel(%a: memref<4xf32>, %s: f32) kernel {
      %i = gpu.thread_id x
      %v = memref.load %a[%i] : memref<4xf32>
      %w = arith.mulf %v, %s : f32
      memref.store %w, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @scale_1 {
    gpu.func @step_kernel(%b: memref<4xf32>, %t: f32) kernel {
      %j = gpu.thread_id x
      %x = memref.load %b[%j] : memref<4xf32>
      %y = arith.mulf %x, %t : f32
      memref.store %y, %b[%j] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @add_0 {
    gpu.func @step_kernel(%a: memref<4xf32>, %s: f32) kernel {
      %i = gpu.thread_id x
      %v = memref.load %a[%i] : memref<4xf32>
      %w = arith.addf %v, %s : f32
      memref.store %w, %a[%i] : memref<4xf32>
      gpu.return
    }
  }
  func.func @step(%a: memref<4xf32>, %b: memref<4xf32>, %s: f32) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @scale_0::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>, %s : f32)
    gpu.launch_func @scale_1::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%b : memref<4xf32>, %s : f32)
    gpu.launch_func @add_0::@step_kernel blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%a : memref<4xf32>, %s : f32)
    return
  }
}

// -----

// Same body, other launch bounds: two kernels. The merged module takes
// another name when @pareprop_kernels is taken.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.module @pareprop_kernels_0 {
// CHECK: gpu.func @small(
// CHECK-SAME: known_block_size = array<i32: 32, 1, 1>
// CHECK: gpu.func @large(
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: func.func private @pareprop_kernels()
// CHECK: gpu.launch_func @pareprop_kernels_0::@small
// CHECK: gpu.launch_func @pareprop_kernels_0::@large
module attributes {gpu.container_module} {
  gpu.module @small {
    gpu.func @k(%a: memref<4xf32>) kernel attributes {known_block_size = array<i32: 32, 1, 1>} {
      gpu.return
    }
  }
  gpu.module @large {
    gpu.func @k(%a: memref<4xf32>) kernel attributes {known_block_size = array<i32: 256, 1, 1>} {
      gpu.return
    }
  }
  func.func private @pareprop_kernels()
  func.func @step(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @small::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @large::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}

// -----

// Modules that cannot move stay: one with a target (already set up for a
// binary), one with a device function besides its kernel, one whose kernel
// reads a global of its module. Only @plain moves.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-DAG: gpu.module @targeted [#nvvm.target]
// CHECK-DAG: gpu.module @with_helper {
// CHECK-DAG: gpu.module @with_global {
// CHECK-DAG: gpu.module @pareprop_kernels {
// CHECK-NOT: gpu.module @plain
// CHECK: gpu.launch_func @targeted::@k
// CHECK: gpu.launch_func @with_helper::@k
// CHECK: gpu.launch_func @with_global::@k
// CHECK: gpu.launch_func @pareprop_kernels::@plain
module attributes {gpu.container_module} {
  gpu.module @targeted [#nvvm.target] {
    gpu.func @k() kernel {
      gpu.return
    }
  }
  gpu.module @with_helper {
    gpu.func @helper() {
      gpu.return
    }
    gpu.func @k() kernel {
      gpu.return
    }
  }
  gpu.module @with_global {
    memref.global "private" constant @table : memref<2xf32> = dense<[1.0, 2.0]>
    gpu.func @k() kernel {
      %t = memref.get_global @table : memref<2xf32>
      gpu.return
    }
  }
  gpu.module @plain {
    gpu.func @k() kernel {
      gpu.return
    }
  }
  func.func @step() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @targeted::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @with_helper::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @with_global::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @plain::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
