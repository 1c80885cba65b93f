// RUN: pareprop-opt %s -split-input-file -verify-diagnostics -pareprop-add-gpu-benchmark-entry

// expected-error@+1 {{pareprop-add-gpu-benchmark-entry: no training step (a function marked rev.training_step)}}
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
// expected-error@+1 {{'func.func' op argument 0 of type 'memref<?xf32>' cannot be filled by pareprop-add-gpu-benchmark-entry}}
func.func @dynamic(%x: memref<?xf32>) -> memref<f32> attributes {rev.training_step} {
  %m = memref.alloc() : memref<f32>
  return %m : memref<f32>
}

// -----

// The index check a step names must exist and take the step's arguments.
// expected-error@+1 {{'func.func' op pareprop-add-gpu-benchmark-entry: the index check @missing is missing or does not take the step's arguments}}
func.func @step(%labels: memref<2xi64> {rev.index_bound = 5 : i64}) -> memref<f32> attributes {rev.training_step, rev.index_checks = {func = @missing, checks = [{arg = 0 : i64, bound = 5 : i64, what = "labels"}]}} {
  %m = memref.alloc() : memref<f32>
  return %m : memref<f32>
}

// -----

func.func @step(%labels: memref<2xi64> {rev.index_bound = 5 : i64}) -> memref<f32> attributes {rev.training_step, rev.index_checks = {func = @check, checks = [{arg = 0 : i64, bound = 5 : i64, what = "labels"}]}} {
  %m = memref.alloc() : memref<f32>
  return %m : memref<f32>
}
// expected-error@-4 {{'func.func' op pareprop-add-gpu-benchmark-entry: argument 0 of the index check has type 'memref<3xi64>', not a view of 'memref<2xi64>'}}
func.func @check(%labels: memref<3xi64>) -> memref<6xi64> {
  %r = memref.alloc() : memref<6xi64>
  return %r : memref<6xi64>
}
