// RUN: pareprop-opt %s -split-input-file -verify-diagnostics

func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @unknown_symbol(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'f' refers to unknown function @missing}}
  %y1, %y2 = rev.block(%x, %x) f @missing() g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

memref.global "private" @F : memref<4xf32>
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @not_a_function(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'f' @F is not a func.func}}
  %y1, %y2 = rev.block(%x, %x) f @F() g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

// expected-note @+1 {{function defined here}}
func.func private @F(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32>
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @param_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{passes 1 operands (tensor and 0 parameters) but F @F has type}}
  %y1, %y2 = rev.block(%x, %x) f @F() g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

// expected-note @+1 {{function defined here}}
func.func private @F(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32>
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @param_type(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{operand 1 of F has type 'tensor<8x4xf32>' but F @F has type}}
  %y1, %y2 = rev.block(%x, %x) f @F(%w : tensor<8x4xf32>) g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

// expected-note @+1 {{function defined here}}
func.func private @F(%x: tensor<4x6xf32>) -> tensor<4x8xf32>
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @x2_type(%x: tensor<4x8xf32>) {
  // X2 is F's input: its type must be F's first argument type.
  // expected-error @+1 {{operand 0 of F has type 'tensor<4x8xf32>' but F @F has type}}
  %y1, %y2 = rev.block(%x, %x) f @F() g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

func.func private @F(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
// expected-note @+1 {{function defined here}}
func.func private @G(%x: tensor<4x8xf32>) -> tensor<4x6xf32>
func.func @g_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{expects result 0 of type 'tensor<4x8xf32>' but G @G has type}}
  %y1, %y2 = rev.block(%x, %x) f @F() g @G() : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @block_not_float(%x: tensor<4x8xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %y1, %y2 = rev.block(%x, %x) f @F() g @G() : tensor<4x8xi32>, tensor<4x8xi32>
  return
}

// -----

func.func private @F__fwd(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
// expected-note @+1 {{function defined here}}
func.func private @G__fwd(%x: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @recompute_saved(%y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects 2 results but saving forward of G @G__fwd has type}}
  %x1, %x2, %sf, %sg = rev.recompute(%y, %y) f @F__fwd() g @G__fwd() : tensor<4x8xf32>, tensor<4x8xf32> -> saved(tensor<4x8xf32>) (tensor<4x8xf32>)
  return
}

// -----

// expected-note @+1 {{function defined here}}
func.func private @F__vjp(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func private @G__vjp(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @grad_saved(%y: tensor<4x8xf32>, %s: tensor<4x8xf32>) {
  // expected-error @+1 {{passes 3 operands (tensor and 2 parameters) but gradient of F @F__vjp has type}}
  %dx1, %dx2 = rev.grad(%y, %y) at(%y, %y) f @F__vjp() saved(%s : tensor<4x8xf32>) g @G__vjp() saved() : tensor<4x8xf32>, tensor<4x8xf32> -> () ()
  return
}

// -----

func.func private @F__vjp(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %d: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8x8xf32>)
func.func private @G__vjp(%x: tensor<4x8xf32>, %d: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @grad_param_types(%y: tensor<4x8xf32>, %w: tensor<8x8xf32>) {
  // expected-error @+1 {{parameter gradients must have the parameters' types}}
  %dx1, %dx2, %dw = rev.grad(%y, %y) at(%y, %y) f @F__vjp(%w : tensor<8x8xf32>) saved() g @G__vjp() saved() : tensor<4x8xf32>, tensor<4x8xf32> -> (tensor<8x4xf32>) ()
  return
}

// -----

func.func @yield_types(%a: tensor<4xf32>) {
  // expected-error @+1 {{yields 1 values whose types do not match its 1 results}}
  %t, %r = rev.task stream 0 {
    rev.yield %a : tensor<4xf32>
  } -> tensor<8xf32>
  rev.await %t
  return
}

// -----

func.func @yield_outside(%a: tensor<4xf32>) {
  // expected-error @+1 {{yields a value defined outside the task}}
  %t, %r = rev.task stream 0 {
    rev.yield %a : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t
  return
}

// -----

func.func @nested(%a: tensor<4xf32>) {
  // expected-error @+1 {{must not contain other rev.task ops}}
  %t = rev.task stream 0 {
    %t2 = rev.task stream 1 {
      rev.yield
    }
    rev.yield
  }
  rev.await %t
  return
}

// -----

func.func @negative_stream() {
  // expected-error @+1 {{attribute 'stream' failed to satisfy constraint}}
  %t = rev.task stream -1 {
    rev.yield
  }
  return
}

// -----

// A result read on another stream without a token ordering the two tasks.
func.func @missing_edge(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{producer task}}
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  // expected-error @+1 {{on stream 1 uses a result of a task on stream 0 that is not ordered before it}}
  %t1, %r1 = rev.task stream 1 {
    %1 = nn.relu %r0 : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t1
  return %r1 : tensor<4xf32>
}

// -----

// Ordering through a third task is enough: 0 -> (stream 1) -> 0 in order.
func.func @transitive_edge(%a: tensor<4xf32>) -> tensor<4xf32> {
  %t0, %r0 = rev.task stream 1 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1 = rev.task stream 0 after(%t0) {
    rev.yield
  }
  %t2, %r2 = rev.task stream 0 {
    %1 = nn.relu %r0 : tensor<4xf32>
    rev.yield %1 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t2
  return %r2 : tensor<4xf32>
}

// -----

func.func @not_awaited(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{task}}
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  // expected-error @+1 {{uses the result of a rev.task that it does not await}}
  return %r0 : tensor<4xf32>
}

// -----

func.func @awaited_other_stream(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{task}}
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  %t1 = rev.task stream 1 {
    rev.yield
  }
  rev.await %t1
  // expected-error @+1 {{uses the result of a rev.task that it does not await}}
  return %r0 : tensor<4xf32>
}

// -----

// Every task must be awaited before the function returns, or its work would
// outlive the call.
func.func @never_awaited(%a: tensor<4xf32>) -> tensor<4xf32> {
  %t0, %r0 = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  // expected-error @+1 {{'rev.task' op is not awaited before the block ends (add a rev.await of the last task of stream 1)}}
  %t1 = rev.task stream 1 {
    rev.yield
  }
  rev.await %t0
  // expected-note @+1 {{block ends here}}
  return %r0 : tensor<4xf32>
}

// -----

func.func @unknown_kind() {
  // expected-error @+1 {{unknown task kind 'lunch' (expected forward, recompute, checkpoint, grad, param-grad or backprop)}}
  %t = rev.task stream 0 kind "lunch" {
    rev.yield
  }
  rev.await %t
  return
}

// -----

func.func @negative_block() {
  // expected-error @+1 {{attribute 'block_index' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %t = rev.task stream 0 kind "grad" block -2 {
    rev.yield
  }
  rev.await %t
  return
}

// -----

// rev.index_checks: the contract between rev-add-index-checks and runners.
func.func @f() {
  // expected-error@+1 {{rev.index_checks belongs on a function}}
  %c = arith.constant {rev.index_checks = {func = @c, checks = [{arg = 0 : i64, bound = 2 : i64, what = "ids"}]}} 0 : i64
  return
}

// -----

// expected-error@+1 {{rev.index_checks must be {func = @symbol, checks = [...]}, got "ids"}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = "ids"} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks must be {func = @symbol, checks = [...]}}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = {func = "c", checks = []}} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks lists no checks}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = {func = @c, checks = []}} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks check 0 must be {arg = i64, bound = i64, ignore_index = i64 (optional), what = string}, got {arg = 0 : i64, bound = 2 : i64}}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = {func = @c, checks = [{arg = 0 : i64, bound = 2 : i64}]}} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks check 0 must be {arg = i64, bound = i64, ignore_index = i64 (optional), what = string}}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = {func = @c, checks = [{arg = 0 : i64, bound = 2 : i64, ignore_index = "x", what = "ids"}]}} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks check 1 names argument 3 of a function with 1 arguments}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = {func = @c, checks = [{arg = 0 : i64, bound = 2 : i64, what = "ids"}, {arg = 3 : i64, bound = 2 : i64, what = "ids"}]}} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks check 0: argument 0 has type 'tensor<2xf32>'; indices are static tensors of i64}}
func.func @f(%x: tensor<2xf32>) attributes {rev.index_checks = {func = @c, checks = [{arg = 0 : i64, bound = 2 : i64, what = "x"}]}} {
  return
}

// -----

// expected-error@+1 {{rev.index_checks check 0: bound must be positive, got 0}}
func.func @f(%ids: tensor<2xi64>) attributes {rev.index_checks = {func = @c, checks = [{arg = 0 : i64, bound = 0 : i64, what = "ids"}]}} {
  return
}
