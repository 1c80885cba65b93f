//===- LoopKernels.cpp - loop nests as GPU kernels ------------------------===//
//
// The loop-mapping half of convert-rev-to-gpu: a parallel loop nest becomes
// a gpu.launch with one thread per iteration, an op that cannot be split
// (a sequential loop, a scatter) a one-thread launch. The stream threading
// that orders the launches is RevToGPU.cpp's.
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace pareprop;

FailureOr<Value> pareprop::launchParallelLoop(scf::ParallelOp loop, Value token,
                                              unsigned threadsPerBlock) {
  if (!loop.getInitVals().empty())
    return loop.emitOpError("with reductions cannot be lowered to a GPU "
                            "kernel by convert-rev-to-gpu");
  SmallVector<int64_t> lower, upper, steps, counts;
  int64_t total = 1;
  for (auto [lb, ub, st] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(st);
    if (!l || !u || !s || *s <= 0)
      return loop.emitOpError("needs constant loop bounds to become a GPU "
                              "kernel");
    int64_t n = *u > *l ? (*u - *l + *s - 1) / *s : 0;
    lower.push_back(*l);
    steps.push_back(*s);
    counts.push_back(n);
    total *= n;
  }
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  if (total == 0) {
    loop.erase();
    return token;
  }
  int64_t blocks = (total + threadsPerBlock - 1) / threadsPerBlock;
  if (blocks > std::numeric_limits<int32_t>::max())
    return loop.emitOpError("has too many iterations for one GPU grid");
  auto index = [&](OpBuilder &ib, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ib, loc, v);
  };
  Value one = index(b, 1);
  int64_t threads = std::min<int64_t>(threadsPerBlock, total);
  auto launch = gpu::LaunchOp::create(
      b, loc, index(b, blocks), one, one, index(b, threads), one, one,
      /*dynamicSharedMemorySize=*/nullptr,
      gpu::AsyncTokenType::get(b.getContext()), ValueRange{token});

  Block &body = launch.getBody().front();
  OpBuilder kb = OpBuilder::atBlockEnd(&body);
  Value linear = arith::AddIOp::create(
      kb, loc,
      arith::MulIOp::create(kb, loc, launch.getBlockIds().x,
                            index(kb, threads)),
      launch.getThreadIds().x);
  Value inRange = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::ult,
                                        linear, index(kb, total));
  auto guard = scf::IfOp::create(kb, loc, inRange, /*withElseRegion=*/false);
  gpu::TerminatorOp::create(kb, loc);

  OpBuilder gb = guard.getThenBodyBuilder();
  IRMapping map;
  Value rest = linear;
  for (int d = int(counts.size()) - 1; d >= 0; --d) {
    Value n = index(gb, counts[d]);
    Value pos = d == 0 ? rest : arith::RemUIOp::create(gb, loc, rest, n);
    if (d > 0)
      rest = arith::DivUIOp::create(gb, loc, rest, n);
    Value iv = arith::AddIOp::create(
        gb, loc, index(gb, lower[d]),
        arith::MulIOp::create(gb, loc, pos, index(gb, steps[d])));
    map.map(loop.getInductionVars()[d], iv);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    gb.clone(op, map);
  loop.erase();
  return launch.getAsyncToken();
}

FailureOr<Value> pareprop::launchOnOneThread(Operation *op, Value token) {
  if (op->getNumResults() != 0)
    return op->emitOpError("produces a value on the host from device memory; "
                           "convert-rev-to-gpu cannot lower it");
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto launch = gpu::LaunchOp::create(
      b, loc, one, one, one, one, one, one, nullptr,
      gpu::AsyncTokenType::get(b.getContext()), ValueRange{token});
  Block &body = launch.getBody().front();
  op->moveBefore(&body, body.end());
  OpBuilder kb = OpBuilder::atBlockEnd(&body);
  gpu::TerminatorOp::create(kb, loc);
  return launch.getAsyncToken();
}
