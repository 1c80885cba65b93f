// Bad options: each is an error that names the option and what it accepts.
// RUN: not pareprop-opt %s -rev-schedule-backward=policy=greedy 2>&1 | FileCheck %s --check-prefix=POLICY
// RUN: not pareprop-opt %s -rev-schedule-backward=lookahead=0 2>&1 | FileCheck %s --check-prefix=AHEAD
// RUN: not pareprop-opt %s -rev-schedule-backward="policy=list streams=0" 2>&1 | FileCheck %s --check-prefix=STREAMS
// RUN: not pareprop-opt %s -rev-schedule-backward=split-min-iterations=-2 2>&1 | FileCheck %s --check-prefix=SPLIT
// RUN: echo '{"base": "cpu", "split_units": 0}' > %t.units.json
// RUN: not pareprop-opt %s -rev-schedule-backward=target=%t.units.json 2>&1 | FileCheck %s --check-prefix=SPLIT-UNITS
// RUN: not pareprop-opt %s -rev-schedule-backward=memory-budget=lots 2>&1 | FileCheck %s --check-prefix=BUDGET-SYNTAX
// RUN: not pareprop-opt %s -rev-schedule-backward=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not pareprop-opt %s -rev-schedule-backward=target=%t.missing.json 2>&1 | FileCheck %s --check-prefix=TARGET-FILE
// RUN: echo '{"base": "cpu", "flops_per_unit": -1}' > %t.negative.json
// RUN: not pareprop-opt %s -rev-schedule-backward=target=%t.negative.json 2>&1 | FileCheck %s --check-prefix=TARGET-FIELD
// RUN: echo '{"base": "cpu", "warp_size": 32}' > %t.unknown.json
// RUN: not pareprop-opt %s -rev-schedule-backward=target=%t.unknown.json 2>&1 | FileCheck %s --check-prefix=TARGET-UNKNOWN
// RUN: echo '{"base": "cpu",' > %t.broken.json
// RUN: not pareprop-opt %s -rev-schedule-backward=target=%t.broken.json 2>&1 | FileCheck %s --check-prefix=TARGET-JSON
// A budget no schedule meets: the error states the least memory needed.
// RUN: %python %utils/gen-rev-mlp.py --depth 3 | pareprop-opt -rev-build-training-step | not pareprop-opt -rev-schedule-backward=memory-budget=1KiB 2>&1 | FileCheck %s --check-prefix=TOO-SMALL
// A file it cannot write.
// RUN: %python %utils/gen-rev-mlp.py --depth 1 | pareprop-opt -rev-build-training-step | not pareprop-opt -rev-schedule-backward=timeline=%t.no-such-dir/t.json 2>&1 | FileCheck %s --check-prefix=WRITE
// RUN: %python %utils/gen-rev-mlp.py --depth 1 | pareprop-opt -rev-build-training-step | not pareprop-opt -rev-schedule-backward=dot=%t.no-such-dir/g.dot 2>&1 | FileCheck %s --check-prefix=WRITE-DOT
// RUN: pareprop-opt %s -rev-schedule-backward -verify-diagnostics -split-input-file

// POLICY: for the --policy option: unknown value 'greedy' (expected vanilla, pareprop, list or auto)
// AHEAD: error: rev-schedule-backward: lookahead must be at least 1, got 0
// STREAMS: error: rev-schedule-backward: streams must be at least 1, got 0
// SPLIT: error: rev-schedule-backward: split-min-iterations must be -1 (the target's), 0 (no split) or a number of iterations, got -2
// SPLIT-UNITS: error: rev-schedule-backward: {{.*}}target field 'split_units' must be an integer >= 1
// BUDGET-SYNTAX: error: rev-schedule-backward: cannot parse memory-budget 'lots' (expected bytes, e.g. 65536, 64KiB, 1.5MiB)
// TARGET: error: rev-schedule-backward: unknown target 'tpu' (built in: 'cpu', 'h100'; or a JSON file)
// TARGET-FILE: error: rev-schedule-backward: cannot read target file '{{.*}}missing.json'
// TARGET-FIELD: error: rev-schedule-backward: {{.*}}negative.json: target field 'flops_per_unit' must be a number >= 1
// TARGET-UNKNOWN: error: rev-schedule-backward: {{.*}}unknown.json: unknown target field 'warp_size'
// TARGET-JSON: error: rev-schedule-backward: {{.*}}broken.json: {{.*}}
// TOO-SMALL: error: rev-schedule-backward: memory budget of 1024 bytes cannot be met: the smallest schedule, vanilla, needs {{[0-9]+}} bytes
// WRITE: error: cannot write '{{.*}}no-such-dir/t.json'
// WRITE-DOT: error: cannot write '{{.*}}no-such-dir/g.dot'

// expected-error @+1 {{training step is already scheduled}}
func.func @step(%a: tensor<4xf32>) -> tensor<4xf32> attributes {rev.training_step} {
  %t, %r = rev.task stream 0 {
    %0 = nn.tanh %a : tensor<4xf32>
    rev.yield %0 : tensor<4xf32>
  } -> tensor<4xf32>
  rev.await %t
  return %r : tensor<4xf32>
}

// -----

// expected-warning @below {{rev-schedule-backward: no function is marked rev.training_step; nothing was scheduled}}
module {
  func.func @plain(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}

// (A rev.work tag naming no kind of work is the dialect verifier's error:
// test/Dialect/Rev/invalid-attributes.mlir.)
