// The rev dialect's discardable attributes are contracts between passes and
// runners; the dialect verifies each one.
// RUN: pareprop-opt %s -split-input-file -verify-diagnostics

func.func @work_not_dict(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.work must be a dictionary {kind = "...", block = N, ...}, got "grad"}}
  %y = nn.tanh %x {rev.work = "grad"} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @work_no_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.work needs a string 'kind'}}
  %y = nn.tanh %x {rev.work = {block = 1}} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @work_unknown_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.work has unknown kind 'lunch' (expected forward, recompute, checkpoint, grad, param-grad or backprop)}}
  %y = nn.tanh %x {rev.work = {kind = "lunch"}} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @work_negative_block(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.work 'block' must be a non-negative integer}}
  %y = nn.tanh %x {rev.work = {kind = "grad", block = -1}} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @work_bad_half(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.work 'half' must be "f" or "g"}}
  %y = nn.tanh %x {rev.work = {kind = "param-grad", block = 0, half = "h"}} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @work_unknown_key(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.work has unknown key 'stream' (expected kind, block, segment, half)}}
  %y = nn.tanh %x {rev.work = {kind = "grad", stream = 1}} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{rev.grad_args must list argument indices in increasing order below 2, got array<i64: 0, 2>}}
func.func @grad_args_out_of_range(%a: tensor<4xf32>, %b: tensor<4xf32>) attributes {rev.grad_args = array<i64: 0, 2>} {
  return
}

// -----

// expected-error @+1 {{rev.grad_args must list argument indices in increasing order below 2, got array<i64: 1, 0>}}
func.func @grad_args_unordered(%a: tensor<4xf32>, %b: tensor<4xf32>) attributes {rev.grad_args = array<i64: 1, 0>} {
  return
}

// -----

// expected-error @+1 {{rev.grad_args must be an array<i64> of argument indices, got [0]}}
func.func @grad_args_not_array(%a: tensor<4xf32>) attributes {rev.grad_args = [0]} {
  return
}

// -----

func.func @grad_args_not_on_function(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{rev.grad_args belongs on a function}}
  %y = nn.tanh %x {rev.grad_args = array<i64: 0>} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// split_args index the arguments of the VJP a part was split from, not the
// part's own.
// expected-error @+1 {{rev.split_args must list argument indices in increasing order, got array<i64: 3, 3>}}
func.func @split_args_repeated(%a: tensor<4xf32>) attributes {rev.split_args = array<i64: 3, 3>} {
  return
}

// -----

// expected-error @+1 {{rev.training_step is a unit attribute, got true}}
func.func @training_step_not_unit() attributes {rev.training_step = true} {
  return
}

// -----

// expected-error @+1 {{rev.derived_from must name the function it was derived from, got "F"}}
func.func @derived_from_string() attributes {rev.derived_from = "F"} {
  return
}

// -----

// expected-error @+1 {{rev.mode must be "reversible" or "stored", got "none"}}
func.func @mode_none() attributes {rev.mode = "none"} {
  return
}

// -----

// expected-error @+1 {{rev.schedule must name the policy that scheduled the step (vanilla, pareprop or list, with its parameters), got "auto"}}
func.func @schedule_auto() attributes {rev.schedule = "auto"} {
  return
}

// -----

// expected-error @+1 {{rev.schedule must name the policy that scheduled the step (vanilla, pareprop or list, with its parameters), got "greedy(lookahead=2)"}}
func.func @schedule_unknown() attributes {rev.schedule = "greedy(lookahead=2)"} {
  return
}

// -----

// expected-error @+1 {{rev.predicted_peak_bytes must be a non-negative integer, got -5}}
func.func @peak_negative() attributes {rev.predicted_peak_bytes = -5 : i64} {
  return
}

// -----

// expected-error @+1 {{rev.predicted_seconds must be a non-negative float, got 3 : i64}}
func.func @seconds_integer() attributes {rev.predicted_seconds = 3 : i64} {
  return
}

// -----

// expected-error @+1 {{rev.index_bound on argument 0 must be a positive integer, got 0}}
func.func @index_bound_zero(%ids: tensor<4xi64> {rev.index_bound = 0 : i64}) {
  return
}

// -----

// expected-error @+1 {{rev.index_bound on argument 0 needs integer elements, got 'tensor<4xf32>'}}
func.func @index_bound_float(%x: tensor<4xf32> {rev.index_bound = 10 : i64}) {
  return
}

// -----

// expected-error @+1 {{rev.no_grad on argument 0 is a unit attribute, got 1 : i64}}
func.func @no_grad_not_unit(%x: tensor<4xf32> {rev.no_grad = 1}) {
  return
}

// -----

// Well-formed attributes verify.
func.func @well_formed(%x: tensor<4xf32>, %ids: tensor<4xi64> {rev.no_grad, rev.index_bound = 10 : i64})
    attributes {rev.training_step, rev.mode = "reversible", rev.grad_args = array<i64: 0>,
                rev.schedule = "list(streams=3)", rev.predicted_seconds = 1.0e-3 : f64,
                rev.predicted_peak_bytes = 4096 : i64} {
  %y = nn.tanh %x {rev.work = {kind = "param-grad", block = 2, half = "f"}} : tensor<4xf32>
  return
}
