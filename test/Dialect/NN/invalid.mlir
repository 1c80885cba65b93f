// RUN: pareprop-opt %s -split-input-file -verify-diagnostics

func.func @broadcast_mismatch(%a: tensor<4x8xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{operand shapes do not broadcast}}
  %0 = nn.add %a, %b : tensor<4x8xf32>, tensor<5xf32>
  return
}

// -----

func.func @element_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = nn.mul %a, %b : tensor<4xf32>, tensor<4xf64>
  return
}

// -----

func.func @contracting(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contracting dimensions differ: 3 vs 4}}
  %0 = nn.matmul %a, %b : tensor<4x3xf32>, tensor<4x5xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<2x4x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{expects rank-2 operands}}
  %0 = nn.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x5xf32>
  return
}

// -----

func.func @dynamic(%a: tensor<?x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.add %a, %b : tensor<?x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @reduce_range(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{dimension 2 is out of range for rank 2}}
  %0 = nn.sum %a dims [2] : tensor<4x8xf32>
  return
}

// -----

func.func @reduce_order(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{dimensions must be sorted and unique}}
  %0 = nn.mean %a dims [1, 0] : tensor<4x8xf32>
  return
}

// -----

func.func @gelu_mode(%a: tensor<4xf32>) {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "fast"}}
  %0 = nn.gelu %a {approximate = "fast"} : tensor<4xf32>
  return
}

// -----

func.func @broadcast_dims(%a: tensor<4xf32>) {
  // expected-error @+1 {{result dimension 1 does not match the input dimension it keeps}}
  %0 = nn.broadcast %a dims [0] : tensor<4xf32> -> tensor<8x5xf32>
  return
}

// -----

func.func @broadcast_rank(%a: tensor<4xf32>) {
  // expected-error @+1 {{result rank must be the input rank plus the number of broadcast dimensions}}
  %0 = nn.broadcast %a dims [0, 1] : tensor<4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @reduce_to(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{result type 'tensor<2x8xf32>' does not broadcast to the input type 'tensor<4x8xf32>'}}
  %0 = nn.reduce_to %a : tensor<4x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @not_float(%a: tensor<4xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = nn.tanh %a : tensor<4xi32>
  return
}
