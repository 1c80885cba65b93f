// RUN: pareprop-opt %s -split-input-file -convert-nn-to-linalg -verify-diagnostics
// An option value that is not a boolean is a usage error naming the option.
// RUN: echo "" | not pareprop-opt -convert-nn-to-linalg=row-kernels=sometimes 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: row-kernels option: 'sometimes' is invalid value for boolean argument
// Only static shapes lower; dynamic ones are rejected when the op is built.

func.func @dynamic(%a: tensor<?x8xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.sum %a dims [1] : tensor<?x8xf32>
  return
}

// -----

func.func @dynamic_matmul(%a: tensor<4x?xf32>, %b: tensor<8x3xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported yet}}
  %0 = nn.matmul %a, %b : tensor<4x?xf32>, tensor<8x3xf32>
  return
}
