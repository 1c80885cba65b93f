// RUN: pareprop-opt %s -split-input-file -verify-diagnostics

func.func @no_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'aten.call' op needs an operator name}}
  %0 = aten.call ""(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @qualified_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{names the operator without namespace or overload ('linear', not 'aten::linear.default'), got 'aten::relu'}}
  %0 = aten.call "aten::relu"(%x) {operand_names = ["self"], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @overload(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{got 'add.Tensor'}}
  %0 = aten.call "add.Tensor"(%x, %x) {operand_names = ["self", "other"], args = {}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unnamed_operand(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has 2 operands but names 1}}
  %0 = aten.call "add"(%x, %x) {operand_names = ["self"], args = {}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @empty_operand_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has an operand without a name}}
  %0 = aten.call "relu"(%x) {operand_names = [""], args = {}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @operand_and_arg(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has argument 'other' both as an operand and in args}}
  %0 = aten.call "add"(%x, %x) {operand_names = ["self", "other"], args = {other = 1.0 : f64}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @missing_attributes(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{requires attribute 'args'}}
  %0 = aten.call "relu"(%x) {operand_names = ["self"]} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
