// RUN: pareprop-opt %s -split-input-file -rev-build-training-step -verify-diagnostics
// RUN: not pareprop-opt %s -split-input-file -rev-build-training-step=mode=checkpoint 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not pareprop-opt %s -split-input-file -rev-build-training-step=func=nowhere 2>&1 | FileCheck %s --check-prefix=FUNC

// MODE: for the --mode option: unknown value 'checkpoint' (expected reversible, stored or none)
// RUN: not pareprop-opt %s -split-input-file -rev-build-training-step=mode=none 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: rev-build-training-step: mode 'none' builds no training step; leave the pass out instead
// FUNC: error: rev-build-training-step: no function named @nowhere
// RUN: not pareprop-opt %s -split-input-file -rev-build-training-step=check-reconstruction=maybe 2>&1 | FileCheck %s --check-prefix=CHECKREC
// CHECKREC: for the --check-reconstruction option: 'maybe' is invalid value for boolean argument
// RUN: not pareprop-opt %s -split-input-file -rev-build-training-step=transitions=recompute 2>&1 | FileCheck %s --check-prefix=TRANSITIONS
// TRANSITIONS: for the --transitions option: unknown value 'recompute' (expected stored or checkpoint)

func.func @F(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{no gradient rule for 'math.sin' (it implements no DifferentiableOpInterface)}}
  %s = math.sin %x : tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @F() : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}

// -----

// An op with no rule outside the reversible stack is reported too.
func.func @F(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  return %x : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>) -> tensor<f32> {
  // expected-error @+1 {{no gradient rule for 'math.exp'}}
  %e = math.exp %x : tensor<4x6xf32>
  %y1, %y2 = rev.block(%e, %e) f @F() g @F() : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}

// -----

func.func @F(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  return %x : tensor<4x6xf32>
}
// expected-error @+1 {{loss function must return exactly one rank-0 floating-point tensor, got '(tensor<4x6xf32>) -> tensor<4x6xf32>'}}
func.func @loss(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @F() : tensor<4x6xf32>, tensor<4x6xf32>
  return %y2 : tensor<4x6xf32>
}

// -----

// expected-error @+1 {{coupling function @F has no body to differentiate}}
func.func private @F(%x: tensor<4x6xf32>) -> tensor<4x6xf32>
func.func @loss(%x: tensor<4x6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @F() : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}

// -----

func.func @F(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  return %x : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>, %c: i1) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @F() : tensor<4x6xf32>, tensor<4x6xf32>
  // expected-error @+1 {{control flow in a loss function is not supported}}
  %r = scf.if %c -> tensor<4x6xf32> {
    scf.yield %y1 : tensor<4x6xf32>
  } else {
    scf.yield %y2 : tensor<4x6xf32>
  }
  %l = nn.sum %r dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{cannot differentiate @F: the symbol @F__fwd or @F__vjp is already taken}}
func.func @F(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  return %x : tensor<4x6xf32>
}
func.func private @F__fwd(%x: tensor<4x6xf32>) -> tensor<4x6xf32>
func.func @loss(%x: tensor<4x6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F() g @F() : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}

// RUN: not pareprop-opt %S/../../../Integration/Inputs/malformed.mlir -rev-build-training-step 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: malformed.mlir:{{[0-9]+}}:{{[0-9]+}}: error:
// RUN: echo 'func.func @f(%%x: tensor<2xf32>) -> tensor<2xf32> { return %%x : tensor<2xf32> }' | not pareprop-opt -rev-build-training-step 2>&1 | FileCheck %s --check-prefix=NOLOSS
// NOLOSS: error: rev-build-training-step: no public function holds a rev.block; name the loss function with func=<name>
// NOLOSS-NOT: see current operation

// -----

// The layer_norm rule differentiates its normalized output only.
func.func @F(%x: tensor<4x6xf32>, %g: tensor<6xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{differentiating through the mean or rstd results of nn.layer_norm is not supported}}
  %y, %mean, %rstd = nn.layer_norm %x, %g, %g : tensor<4x6xf32>, tensor<6xf32>
  %m = nn.broadcast %mean dims [1] : tensor<4xf32> -> tensor<4x6xf32>
  %o = nn.add %y, %m : tensor<4x6xf32>, tensor<4x6xf32>
  return %o : tensor<4x6xf32>
}
func.func @loss(%x: tensor<4x6xf32>, %g: tensor<6xf32>) -> tensor<f32> {
  %y1, %y2 = rev.block(%x, %x) f @F(%g : tensor<6xf32>) g @F(%g : tensor<6xf32>) : tensor<4x6xf32>, tensor<4x6xf32>
  %l = nn.sum %y2 dims [0, 1] : tensor<4x6xf32>
  return %l : tensor<f32>
}
