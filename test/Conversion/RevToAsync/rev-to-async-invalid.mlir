// RUN: pareprop-opt %s -split-input-file -convert-rev-to-async -verify-diagnostics

// The CPU backend starts from steps on buffers; couplings and nn ops must
// be gone.
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    // expected-error @+1 {{must be lowered before convert-rev-to-async (run rev-expand-couplings and convert-nn-to-linalg)}}
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}

// -----

// A step still on tensors has not been through the shared stages.
// expected-error@+1 {{'func.func' op is a scheduled step on tensors; convert-rev-to-async starts from steps on buffers (run rev-tasks-to-buffers first)}}
func.func @on_tensors(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t0, %b = rev.task stream 0 {
    %0 = math.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t0
  return %b : tensor<4xf32>
}

// -----

// cuBLAS products (rev-tasks-to-buffers{target=gpu}) need a GPU stream.
func.func private @pareprop_cuda_contract_f32(!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
func.func private @kernel(%x: memref<*xf32>) {
  %s = gpu.wait async
  %f = arith.constant 0 : i64
  // expected-error@+1 {{'func.call' op is a stream-ordered library call (cuBLAS); convert-rev-to-async runs on the CPU (pareprop-contractions-to-runtime library=cblas)}}
  func.call @pareprop_cuda_contract_f32(%s, %x, %x, %x, %f) : (!gpu.async.token, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) -> ()
  return
}
func.func @step(%x: memref<*xf32>) attributes {rev.training_step} {
  %t0 = rev.task stream 0 {
    func.call @kernel(%x) : (memref<*xf32>) -> ()
    rev.yield
  }
  rev.await %t0
  return
}
