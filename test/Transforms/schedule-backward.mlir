// A three-block stack (odd depth) under each policy.
// RUN: %python %utils/gen-rev-mlp.py --depth 3 | pareprop-opt -rev-build-training-step -rev-schedule-backward=policy=vanilla | FileCheck %s --check-prefix=VANILLA
// RUN: %python %utils/gen-rev-mlp.py --depth 3 | pareprop-opt -rev-build-training-step -rev-schedule-backward=policy=pareprop | FileCheck %s --check-prefix=PAREPROP
// RUN: %python %utils/gen-rev-mlp.py --depth 3 | pareprop-opt -rev-build-training-step -rev-schedule-backward="policy=pareprop max-live-blocks=3" | FileCheck %s --check-prefix=LIVE3
// Ordinary backprop has nothing to recompute: one stream whatever the policy.
// RUN: %python %utils/gen-rev-mlp.py --depth 3 | pareprop-opt -rev-build-training-step=mode=stored -rev-schedule-backward=policy=pareprop | FileCheck %s --check-prefix=STORED
// One block.
// RUN: %python %utils/gen-rev-mlp.py --depth 1 | pareprop-opt -rev-build-training-step -rev-schedule-backward | FileCheck %s --check-prefix=ONE

// VANILLA-LABEL: func.func @loss_step
// VANILLA-SAME: rev.schedule = "vanilla"
// Prefix, then each forward block alone (its outputs die once the next
// block has run), then the loss.
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   nn.matmul
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.block
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.block
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.block
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   nn.add
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.recompute
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.grad
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.recompute
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.grad
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.recompute
// VANILLA:      rev.task stream 0 {
// VANILLA-NEXT:   rev.grad
// VANILLA:      %[[TL:.*]], %{{.*}} = rev.task stream 0 {
// VANILLA-NOT:  stream 1
// VANILLA-NOT:  after
// VANILLA:      rev.await %[[TL]]{{$}}
// VANILLA-NEXT: return

// Recomputes run on stream 1, ahead of the gradients on stream 0; each
// gradient waits for its recompute; the third recompute waits until the
// first gradient has consumed the first recompute's internals. The first
// recompute needs only the last block, so it overlaps the loss.
// PAREPROP-LABEL: func.func @loss_step
// PAREPROP-SAME: rev.schedule = "pareprop"
// PAREPROP:      rev.task stream 0 {
// PAREPROP-NEXT:   nn.matmul
// PAREPROP:      rev.task stream 0 {
// PAREPROP-NEXT:   rev.block
// PAREPROP:      rev.task stream 0 {
// PAREPROP-NEXT:   rev.block
// PAREPROP:      %[[FWD:.*]], %{{.*}} = rev.task stream 0 {
// PAREPROP-NEXT:   rev.block
// PAREPROP:      %[[LOSS:.*]], %{{.*}} = rev.task stream 0 {
// PAREPROP-NEXT:   nn.add
// PAREPROP:      %[[R2:.*]], %{{.*}} = rev.task stream 1 after(%[[FWD]]) {
// PAREPROP-NEXT:   rev.recompute
// PAREPROP:      %[[G2:.*]], %{{.*}} = rev.task stream 0 after(%[[R2]]) {
// PAREPROP-NEXT:   rev.grad
// PAREPROP:      %[[R1:.*]], %{{.*}} = rev.task stream 1 {
// PAREPROP-NEXT:   rev.recompute
// PAREPROP:      %[[G1:.*]], %{{.*}} = rev.task stream 0 after(%[[R1]]) {
// PAREPROP-NEXT:   rev.grad
// PAREPROP:      %[[R0:.*]], %{{.*}} = rev.task stream 1 after(%[[G2]]) {
// PAREPROP-NEXT:   rev.recompute
// PAREPROP:      %[[G0:.*]], %{{.*}} = rev.task stream 0 after(%[[R0]]) {
// PAREPROP-NEXT:   rev.grad
// PAREPROP:      %[[TAIL:.*]], %{{.*}} = rev.task stream 0 {
// PAREPROP:      rev.await %[[TAIL]], %[[R0]]
// PAREPROP-NEXT: return

// With room for three blocks' internals, no recompute waits for a gradient.
// LIVE3:     rev.task stream 1 after(
// LIVE3:     rev.task stream 1 {
// LIVE3-NEXT:  rev.recompute
// LIVE3:     rev.task stream 1 {
// LIVE3-NEXT:  rev.recompute

// STORED-LABEL: func.func @loss_step
// STORED-NOT: stream 1
// STORED-NOT: rev.recompute
// STORED: rev.await

// ONE-LABEL: func.func @loss_step
// ONE:      rev.task stream 0 {
// ONE-NEXT:   nn.matmul
// ONE:      %[[FWD:.*]], %{{.*}} = rev.task stream 0 {
// ONE-NEXT:   rev.block
// ONE:      %[[R:.*]], %{{.*}} = rev.task stream 1 after(%[[FWD]]) {
// ONE-NEXT:   rev.recompute
// ONE:      rev.task stream 0 after(%[[R]]) {
// ONE-NEXT:   rev.grad
// ONE-NOT:  rev.recompute
// ONE:      rev.await
