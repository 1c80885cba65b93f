// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -add-gpu-benchmark-entry

// expected-error@+1 {{add-gpu-benchmark-entry: no training step (a function marked rev.training_step)}}
module {
  func.func @not_a_step(%a: memref<4xf32>) {
    return
  }
}

// -----

// Integer inputs need the range their random values are drawn from.
// expected-error@+1 {{'func.func' op integer argument 1 needs a positive rev.index_bound attribute}}
func.func @step(%x: memref<2x4xf32>, %labels: memref<2xi64>) -> memref<f32> attributes {rev.training_step} {
  %m = memref.alloc() : memref<f32>
  return %m : memref<f32>
}

// -----

// Dynamic shapes cannot be allocated for random inputs.
// expected-error@+1 {{'func.func' op argument 0 of type 'memref<?xf32>' cannot be filled by add-gpu-benchmark-entry}}
func.func @dynamic(%x: memref<?xf32>) -> memref<f32> attributes {rev.training_step} {
  %m = memref.alloc() : memref<f32>
  return %m : memref<f32>
}
