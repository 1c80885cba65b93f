// Scheduling rules of rev-schedule-backward, on generated MLP-coupled stacks.
//
// RUN: %python %utils/gen-rev-mlp.py --depth 3 > %t.d3.mlir
// RUN: %python %utils/gen-rev-mlp.py --depth 6 > %t.d6.mlir
// RUN: %python %utils/gen-rev-mlp.py --depth 1 > %t.d1.mlir
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward=policy=vanilla | FileCheck %s --check-prefix=VANILLA
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward=policy=pareprop | FileCheck %s --check-prefix=PAREPROP
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward="policy=pareprop lookahead=2" | FileCheck %s --check-prefix=AHEAD2
// RUN: pareprop-opt %t.d6.mlir -rev-build-training-step -rev-schedule-backward="policy=pareprop lookahead=2" | FileCheck %s --check-prefix=WINDOW
// Ordinary backprop has nothing to recompute: one stream whatever the policy.
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step=mode=stored -rev-schedule-backward=policy=pareprop | FileCheck %s --check-prefix=STORED
// RUN: pareprop-opt %t.d1.mlir -rev-build-training-step -rev-schedule-backward | FileCheck %s --check-prefix=ONE
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward="policy=list streams=3" | FileCheck %s --check-prefix=LIST
//
// On a stack whose activations outweigh its parameter gradients, the
// predicted peaks are 63716 bytes (vanilla), 90020 (pareprop, two blocks of
// internals) and 114276 (lookahead 2 or more). A budget of one block's
// internals above vanilla forces the vanilla order, with a remark; a budget
// between lookahead 1 and 3 falls back one lookahead at a time.
// RUN: %python %utils/gen-rev-mlp.py --depth 4 --batch 64 --dim 8 --hidden 32 > %t.wide.mlir
// RUN: pareprop-opt %t.wide.mlir -rev-build-training-step -rev-schedule-backward="policy=pareprop memory-budget=64000" -mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: pareprop-opt %t.wide.mlir -rev-build-training-step -rev-schedule-backward="policy=pareprop lookahead=3 memory-budget=97.7KiB" -mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=BUDGET-KIB
//
// auto: on a target where two running tasks slow each other down threefold,
// overlap does not pay and auto keeps vanilla; on this CPU it overlaps. On
// an H100, a large batch fills every SM, so the second stream only adds
// contention: vanilla again.
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward="policy=auto explain=1 target=%S/Inputs/contended-cpu.json" -mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=AUTO-CONTENDED
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward="policy=auto explain=1" -mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=AUTO-CPU
// RUN: %python %utils/gen-rev-mlp.py --depth 4 --batch 8192 --dim 1024 --hidden 4096 | pareprop-opt -rev-build-training-step -rev-schedule-backward="policy=auto target=h100" | FileCheck %s --check-prefix=AUTO-H100-LARGE
// RUN: %python %utils/gen-rev-mlp.py --depth 4 --batch 16 --dim 64 --hidden 128 | pareprop-opt -rev-build-training-step -rev-schedule-backward="policy=auto target=h100" | FileCheck %s --check-prefix=AUTO-H100-SMALL
//
// Op granularity (rev-split-gradients first).
// RUN: pareprop-opt %t.d6.mlir -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=pareprop lookahead=2" | FileCheck %s --check-prefix=OP-WINDOW
// RUN: %python %utils/gen-rev-vit.py --depth 2 --batch 4 --seq 197 --dim 192 --heads 3 --mlp-hidden 768 --classes 10 > %t.tiny.mlir
// RUN: pareprop-opt %t.tiny.mlir -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=auto" | FileCheck %s --check-prefix=OP-AUTO-SPLIT
// RUN: pareprop-opt %t.tiny.mlir -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=auto split-min-iterations=0" | FileCheck %s --check-prefix=OP-AUTO-NOSPLIT
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=list timeline=%t.op.json" | FileCheck %s --check-prefix=OP-LIST
// RUN: %python %src_root/test/Inputs/check-timeline.py %t.op.json --streams 2 --blocks 3 | FileCheck %s --check-prefix=OP-TIMELINE
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=auto explain=1" -mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=OP-AUTO
// RUN: pareprop-opt %t.wide.mlir -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=auto explain=1 memory-budget=100000 runtime-contractions=false" -mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=OP-AUTO-BUDGET
// RUN: %python %utils/gen-rev-mlp.py --depth 4 --batch 8192 --dim 1024 --hidden 4096 | pareprop-opt -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=auto target=h100" | FileCheck %s --check-prefix=OP-AUTO-H100-LARGE
// RUN: %python %utils/gen-rev-mlp.py --depth 4 --batch 16 --dim 64 --hidden 128 | pareprop-opt -rev-build-training-step -rev-split-gradients -rev-schedule-backward="policy=auto target=h100" | FileCheck %s --check-prefix=OP-AUTO-H100-SMALL
//
// The dependency graph as DOT and the predicted timeline as Chrome trace.
// RUN: pareprop-opt %t.d3.mlir -rev-build-training-step -rev-schedule-backward="dot=%t.dot timeline=%t.json" -o /dev/null
// RUN: FileCheck %s --check-prefix=DOT < %t.dot
// RUN: %python %src_root/test/Inputs/check-timeline.py %t.json --streams 2 --blocks 3 | FileCheck %s --check-prefix=TIMELINE

// Vanilla: one stream, per block recompute then gradient, nothing to wait on.
// VANILLA-LABEL: func.func @loss_step
// VANILLA-SAME: rev.predicted_peak_bytes = {{[0-9]+}} : i64
// VANILLA-SAME: rev.predicted_seconds = {{.*}} : f64
// VANILLA-SAME: rev.schedule = "vanilla"
// VANILLA-SAME: rev.target = "cpu"
// VANILLA:      rev.task stream 0 kind "forward" {
// VANILLA-NEXT:   nn.matmul
// VANILLA:      rev.task stream 0 kind "forward" block 0 {
// VANILLA-NEXT:   rev.block
// VANILLA:      rev.task stream 0 kind "forward" block 1 {
// VANILLA:      rev.task stream 0 kind "forward" block 2 {
// VANILLA:      rev.task stream 0 kind "forward" {
// VANILLA-NEXT:   nn.add
// VANILLA:      rev.task stream 0 kind "backprop" {
// VANILLA:      rev.task stream 0 kind "recompute" block 2 {
// VANILLA-NEXT:   rev.recompute
// VANILLA:      rev.task stream 0 kind "grad" block 2 {
// VANILLA-NEXT:   rev.grad
// VANILLA:      rev.task stream 0 kind "recompute" block 1 {
// VANILLA:      rev.task stream 0 kind "grad" block 1 {
// VANILLA:      rev.task stream 0 kind "recompute" block 0 {
// VANILLA:      rev.task stream 0 kind "grad" block 0 {
// VANILLA:      %[[TL:.*]], %{{.*}} = rev.task stream 0 kind "backprop" {
// VANILLA-NOT:  stream 1
// VANILLA-NOT:  after
// VANILLA:      rev.await %[[TL]]{{$}}
// VANILLA-NEXT: return

// PaReprop: recomputes on stream 1. The recompute of block k-1 and the
// gradient of block k run on different streams with no wait between them;
// each gradient waits for its own recompute only; the third recompute waits
// for the gradient that consumed the first one's internals (lookahead 1: two
// blocks of internals). The first recompute needs only the last block's
// outputs, so it overlaps the loss's backprop.
// PAREPROP-LABEL: func.func @loss_step
// PAREPROP-SAME: rev.schedule = "pareprop"
// PAREPROP:      %[[FWD:.*]], %{{.*}} = rev.task stream 0 kind "forward" block 2 {
// PAREPROP:      %[[R2:.*]], %{{.*}} = rev.task stream 1 kind "recompute" block 2 after(%[[FWD]]) {
// PAREPROP:      rev.task stream 0 kind "backprop" {
// PAREPROP:      %[[R1:.*]], %{{.*}} = rev.task stream 1 kind "recompute" block 1 {
// PAREPROP:      %[[G2:.*]], %{{.*}} = rev.task stream 0 kind "grad" block 2 after(%[[R2]]) {
// PAREPROP:      %[[G1:.*]], %{{.*}} = rev.task stream 0 kind "grad" block 1 after(%[[R1]]) {
// PAREPROP:      %[[R0:.*]], %{{.*}} = rev.task stream 1 kind "recompute" block 0 after(%[[G2]]) {
// PAREPROP:      %[[G0:.*]], %{{.*}} = rev.task stream 0 kind "grad" block 0 after(%[[R0]]) {
// PAREPROP:      %[[TAIL:.*]], %{{.*}} = rev.task stream 0 kind "backprop" {
// PAREPROP:      rev.await %[[TAIL]], %[[R0]]
// PAREPROP-NEXT: return

// With lookahead 2 (three blocks of internals), no recompute of a depth-3
// stack waits for a gradient.
// AHEAD2-LABEL: func.func @loss_step
// AHEAD2-SAME: rev.schedule = "pareprop(lookahead=2)"
// AHEAD2:     rev.task stream 1 kind "recompute" block 2 after(
// AHEAD2:     rev.task stream 1 kind "recompute" block 1 {
// AHEAD2:     rev.task stream 1 kind "recompute" block 0 {

// Lookahead k keeps at most k + 1 blocks of internals: with k = 2 the
// recompute of block 2 (the fourth) waits for the gradient of block 5 (the
// first), block 1 for block 4, block 0 for block 3.
// WINDOW-LABEL: func.func @loss_step
// WINDOW:     %[[G5:.*]], %{{.*}} = rev.task stream 0 kind "grad" block 5 after(
// WINDOW:     %[[G4:.*]], %{{.*}} = rev.task stream 0 kind "grad" block 4 after(
// WINDOW:     rev.task stream 1 kind "recompute" block 2 after(%[[G5]]) {
// WINDOW:     %[[G3:.*]], %{{.*}} = rev.task stream 0 kind "grad" block 3 after(
// WINDOW:     rev.task stream 1 kind "recompute" block 1 after(%[[G4]]) {
// WINDOW:     rev.task stream 1 kind "recompute" block 0 after(%[[G3]]) {

// STORED-LABEL: func.func @loss_step
// STORED-NOT: stream 1
// STORED-NOT: rev.recompute
// STORED: rev.await

// ONE-LABEL: func.func @loss_step
// ONE:      rev.task stream 0 kind "forward" {
// ONE-NEXT:   nn.matmul
// ONE:      %[[FWD:.*]], %{{.*}} = rev.task stream 0 kind "forward" block 0 {
// ONE:      %[[R:.*]], %{{.*}} = rev.task stream 1 kind "recompute" block 0 after(%[[FWD]]) {
// ONE:      rev.task stream 0 kind "grad" block 0 after(%[[R]]) {
// ONE-NOT:  rev.recompute
// ONE:      rev.await

// List scheduling over three streams keeps the chains together: each
// recompute follows the previous one on its stream, each gradient the
// previous gradient, so only edges between the chains need waits.
// LIST-LABEL: func.func @loss_step
// LIST-SAME: rev.schedule = "list(streams=3)"
// LIST:      rev.task stream [[RS:[0-9]]] kind "recompute" block 2 after(
// LIST:      rev.task stream [[RS]] kind "recompute" block 1 {
// LIST:      rev.task stream [[GS:[0-9]]] kind "grad" block 2 after(
// LIST:      rev.task stream [[GS]] kind "grad" block 1 after(
// LIST:      rev.task stream [[RS]] kind "recompute" block 0 after(
// LIST:      rev.task stream [[GS]] kind "grad" block 0 after(

// At op granularity the memory window also covers the values cut from a
// block's gradient: with lookahead 2, the recompute of block 2 waits for the
// last parameter-gradient task of block 5, not just its gradient.
// OP-WINDOW-LABEL: func.func @loss_step
// OP-WINDOW:     rev.task stream 0 kind "grad" block 5 after(
// OP-WINDOW:     rev.task stream 0 kind "param-grad" block 5 {
// OP-WINDOW:     %[[P5:.*]], %{{.*}} = rev.task stream 0 kind "param-grad" block 5 {
// OP-WINDOW:     rev.task stream 1 kind "recompute" block 2 after(%[[P5]]) {

// List scheduling at op granularity spreads the parameter gradients over
// both streams, where each block's run beside other work (block 1's beside
// an input gradient).
// OP-LIST-LABEL: func.func @loss_step
// OP-LIST-SAME: rev.schedule = "list(streams=2)"
// OP-LIST-COUNT-2: kind "param-grad" block 2
// OP-TIMELINE: kinds backprop forward grad param-grad recompute
// OP-TIMELINE: param-grad blocks [0, 1, 2] on streams [0, 1]
// OP-TIMELINE-NOT: runs beside: nothing
// OP-TIMELINE: dW of block 0 runs beside: {{.+}}
// OP-TIMELINE: dW of block 1 runs beside: {{.*}}grad
// OP-TIMELINE: dW of block 2 runs beside: {{.+}}

// On this machine's cost model, overlapping dW with dX and recompute pays:
// auto prefers a list schedule to pareprop once dW is a task of its own.
// OP-AUTO: remark: rev-schedule-backward: chose list(streams=2{{.*}}) on target 'cpu'

// On an H100 (cost model only), op granularity does not change the verdict
// at a large batch, where every kernel fills the device and overlap does
// not pay; at a small batch, launch-bound kernels leave room for three
// streams: dX, recompute and dW.
// OP-AUTO-H100-LARGE: rev.schedule = "vanilla"
// OP-AUTO-H100-SMALL: rev.schedule = "list(streams=3{{.*}})"

// RevViT-Tiny-sized blocks on the CPU: a one-stream schedule runs every
// task alone, so each large kernel splits over both cores (split-kernels),
// which beats overlapping whole tasks: auto keeps vanilla. Told that loop
// kernels stay whole (split-min-iterations=0), it overlaps on two streams.
// OP-AUTO-SPLIT: rev.schedule = "vanilla"
// OP-AUTO-NOSPLIT: rev.schedule = "list(streams=2{{.*}})"

// Under a budget, auto keeps the fastest candidate that fits: the list
// schedules hold cut values longer and go over, pareprop fits (with loop
// kernels for the products, where the list schedules' lead is largest).
// OP-AUTO-BUDGET: remark: rev-schedule-backward: chose pareprop on target 'cpu'; candidates: vanilla {{[0-9.]+}} us {{[0-9]+}} B; pareprop {{[0-9.]+}} us {{[0-9]+}} B;{{.*}} list(streams=2) {{[0-9.]+}} us {{[0-9]+}} B (over budget);

// BUDGET: remark: rev-schedule-backward: memory budget of 64000 bytes: pareprop needs 90020 bytes; using vanilla (63716 bytes)
// BUDGET: func.func @loss_step
// BUDGET-SAME: rev.schedule = "vanilla"
// BUDGET-NOT: stream 1

// BUDGET-KIB: memory budget of 100045 bytes: pareprop(lookahead=3) needs 114276 bytes; using pareprop (90020 bytes)
// BUDGET-KIB: rev.schedule = "pareprop"

// AUTO-CONTENDED: remark: rev-schedule-backward: chose vanilla on target 'contended-cpu'; candidates: vanilla {{.*}}; pareprop {{.*}}; list(streams=2) {{.*}}
// AUTO-CONTENDED: rev.schedule = "vanilla"

// AUTO-CPU: remark: rev-schedule-backward: chose pareprop on target 'cpu'
// AUTO-CPU: rev.schedule = "pareprop"
// AUTO-CPU: rev.task stream 1 kind "recompute"

// AUTO-H100-LARGE: rev.schedule = "vanilla"
// AUTO-H100-LARGE-SAME: rev.target = "h100"
// AUTO-H100-SMALL: rev.schedule = "pareprop"

// DOT:      digraph "loss_step" {
// DOT:        subgraph cluster_stream0 {
// DOT:          label="stream 0";
// DOT:          [label="{{[0-9]+}}: grad 2\n{{.*}} us", fillcolor=palegreen];
// DOT:        subgraph cluster_stream1 {
// DOT:          [label="{{[0-9]+}}: recompute 0\n{{.*}} us", fillcolor=orange];
// A kept wait is bold; the memory-window edge (grad 2 before recompute 0) is
// dashed.
// DOT:        -> n{{[0-9]+}} [penwidth=2.5];
// DOT:        -> n{{[0-9]+}} [style=dashed, color=red, penwidth=2.5];

// TIMELINE: events 13, streams [0, 1]
// TIMELINE: kinds backprop forward grad recompute
// TIMELINE: recompute blocks [0, 1, 2] on streams [1]
// TIMELINE: grad blocks [0, 1, 2] on streams [0]
// TIMELINE: no stream runs two events at once
