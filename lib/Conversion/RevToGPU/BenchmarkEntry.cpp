//===- BenchmarkEntry.cpp - a benchmark entry point for GPU steps ---------===//
//
// pareprop-add-gpu-benchmark-entry: @pareprop_benchmark(steps, warmup)
// allocates and fills a GPU step's inputs, times its steps and reports through
// the CUDA runtime (see the pass description in Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "GpuKernels.h"

#include "pareprop/Conversion/Passes.h"
#include "pareprop/Conversion/TaskLowering.h"

#include "pareprop/Dialect/Rev/IR/RevOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

namespace pareprop {
#define GEN_PASS_DEF_ADDGPUBENCHMARKENTRY
#include "pareprop/Conversion/Passes.h.inc"
} // namespace pareprop

using namespace mlir;
using namespace pareprop;

namespace {

constexpr llvm::StringLiteral kEntryName = "pareprop_benchmark";

/// splitmix64's finalizer on i64 values.
Value mix(OpBuilder &b, Location loc, Value z) {
  auto c = [&](uint64_t v) {
    return arith::ConstantIntOp::create(b, loc, int64_t(v), 64);
  };
  auto xorShift = [&](Value v, int64_t s) {
    return arith::XOrIOp::create(b, loc, v,
                                 arith::ShRUIOp::create(b, loc, v, c(s)));
  };
  z = arith::MulIOp::create(b, loc, xorShift(z, 30), c(0xBF58476D1CE4E5B9ull));
  z = arith::MulIOp::create(b, loc, xorShift(z, 27), c(0x94D049BB133111EBull));
  return xorShift(z, 31);
}

/// Runs the step's index check (rev.index_checks; a host function after
/// convert-rev-to-gpu) on host copies of the index inputs; the runtime stops
/// the executable with a message when an index is out of range.
LogicalResult checkIndices(OpBuilder &b, ModuleOp module, func::FuncOp step,
                           ArrayRef<Value> inputs) {
  auto checks =
      step->getAttrOfType<DictionaryAttr>(rev::RevDialect::kIndexChecksAttr);
  if (!checks)
    return success();
  Location loc = step.getLoc();
  auto ref = checks.getAs<FlatSymbolRefAttr>("func");
  auto check = module.lookupSymbol<func::FuncOp>(ref);
  if (!check || check.getNumArguments() != inputs.size() ||
      check.getNumResults() != 1) {
    step.emitOpError("pareprop-add-gpu-benchmark-entry: the index check ")
        << ref << " is missing or does not take the step's arguments";
    return failure();
  }
  Type i64 = b.getI64Type();
  FailureOr<func::FuncOp> report = declareRuntimeFunction(
      module, "pareprop_cuda_index_check_result",
      b.getFunctionType({i64, i64, i64, i64, i64, i64}, {}));
  if (failed(report))
    return failure();
  MLIRContext *ctx = b.getContext();
  auto tokenType = gpu::AsyncTokenType::get(ctx);
  DenseSet<int64_t> indexArgs;
  for (Attribute entry : checks.getAs<ArrayAttr>("checks"))
    indexArgs.insert(
        cast<DictionaryAttr>(entry).getAs<IntegerAttr>("arg").getInt());
  SmallVector<Value> args, copies;
  Value token =
      gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
  for (auto [i, input] : llvm::enumerate(inputs)) {
    Value arg = input;
    if (indexArgs.contains(int64_t(i))) {
      // The check reads host memory; the other arguments stay device
      // buffers it does not touch.
      auto type = cast<MemRefType>(input.getType());
      Value host = memref::AllocOp::create(b, loc, type);
      token = gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{token}, host,
                                    input)
                  .getAsyncToken();
      copies.push_back(host);
      arg = host;
    }
    Type expected = check.getArgumentTypes()[i];
    if (arg.getType() != expected) {
      if (!memref::CastOp::areCastCompatible(arg.getType(), expected)) {
        step.emitOpError("pareprop-add-gpu-benchmark-entry: argument ")
            << i << " of the index check has type " << expected
            << ", not a view of " << arg.getType();
        return failure();
      }
      arg = memref::CastOp::create(b, loc, expected, arg);
    }
    args.push_back(arg);
  }
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
  Value found = func::CallOp::create(b, loc, check, args).getResult(0);
  SmallVector<Value> fields;
  for (int64_t f = 0; f < 6; ++f)
    fields.push_back(memref::LoadOp::create(
        b, loc, found,
        ValueRange{arith::ConstantIndexOp::create(b, loc, f)}));
  func::CallOp::create(b, loc, *report, fields);
  memref::DeallocOp::create(b, loc, found);
  for (Value host : copies)
    memref::DeallocOp::create(b, loc, host);
  return success();
}

struct AddGpuBenchmarkEntryPass
    : pareprop::impl::AddGpuBenchmarkEntryBase<AddGpuBenchmarkEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    func::FuncOp step;
    for (auto fn : module.getOps<func::FuncOp>())
      if (func.empty() ? fn->hasAttr("rev.training_step")
                       : fn.getSymName() == func)
        step = fn;
    if (!step || step.isExternal()) {
      module.emitError("pareprop-add-gpu-benchmark-entry: no training step ")
          << (func.empty() ? std::string("(a function marked "
                                         "rev.training_step)")
                           : "named '" + std::string(func) + "'");
      return signalPassFailure();
    }
    if (symbols.lookup(kEntryName)) {
      module.emitError(
          "pareprop-add-gpu-benchmark-entry: the module already has a "
          "function named ")
          << kEntryName;
      return signalPassFailure();
    }
    for (auto [i, type] : llvm::enumerate(step.getArgumentTypes())) {
      auto memref = dyn_cast<MemRefType>(type);
      bool ok = memref ? memref.hasStaticShape() &&
                             memref.getLayout().isIdentity() &&
                             (isa<FloatType>(memref.getElementType()) ||
                              memref.getElementType().isInteger(64) ||
                              memref.getElementType().isInteger(32))
                       : type.isInteger(64);
      if (!ok) {
        step.emitOpError("argument ")
            << i << " of type " << type
            << " cannot be filled by pareprop-add-gpu-benchmark-entry (static "
               "identity-layout memrefs of floats or integers, and i64 "
               "scalars, can; run convert-rev-to-gpu first)";
        return signalPassFailure();
      }
      if (memref && memref.getElementType().isInteger()) {
        auto bound = step.getArgAttrOfType<IntegerAttr>(
            i, rev::RevDialect::kIndexBoundAttr);
        if (!bound || bound.getInt() < 1) {
          step.emitOpError("integer argument ")
              << i
              << " needs a positive rev.index_bound attribute (the "
                 "range its values are drawn from)";
          return signalPassFailure();
        }
      }
    }
    int64_t imagesPerStep = images;
    if (imagesPerStep <= 0) {
      auto first = step.getNumArguments() > 0
                       ? dyn_cast<MemRefType>(step.getArgumentTypes()[0])
                       : MemRefType();
      imagesPerStep = first && first.getRank() > 0 ? first.getDimSize(0) : 1;
    }

    MLIRContext *ctx = module.getContext();
    Location loc = step.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Type i64 = b.getI64Type(), f64 = b.getF64Type();
    auto unrankedF32 = UnrankedMemRefType::get(b.getF32Type(), 0);
    FailureOr<func::FuncOp> clock = declareRuntimeFunction(
        module, "pareprop_cuda_clock_seconds", b.getFunctionType({}, {f64}));
    FailureOr<func::FuncOp> resetPeak = declareRuntimeFunction(
        module, "pareprop_cuda_reset_peak", b.getFunctionType({}, {}));
    FailureOr<func::FuncOp> sum =
        declareRuntimeFunction(module, "pareprop_cuda_sum_f32",
                               b.getFunctionType({unrankedF32}, {f64}));
    FailureOr<func::FuncOp> report = declareRuntimeFunction(
        module, "pareprop_cuda_report",
        b.getFunctionType({i64, f64, i64, f64, f64}, {}));
    FailureOr<func::FuncOp> dumpGradientOf = declareRuntimeFunction(
        module, "pareprop_cuda_dump_gradient_of", b.getFunctionType({i64}, {}));
    FailureOr<func::FuncOp> dumpScalar = declareRuntimeFunction(
        module, "pareprop_cuda_dump_scalar", b.getFunctionType({i64, i64}, {}));
    if (failed(clock) || failed(resetPeak) || failed(sum) || failed(report) ||
        failed(dumpGradientOf) || failed(dumpScalar))
      return signalPassFailure();
    // Dumps (`--dump`): pareprop_cuda_dump_<type>(kind, index, memref), kind
    // 0 for an argument, 1 for a result; nothing unless the executable was
    // asked for a dump.
    auto dumpTensor = [&](OpBuilder &db, int64_t kind, int64_t index,
                          Value buffer) -> LogicalResult {
      auto type = cast<MemRefType>(buffer.getType());
      Type elem = type.getElementType();
      const char *suffix = elem.isF32()         ? "f32"
                           : elem.isF64()       ? "f64"
                           : elem.isInteger(64) ? "i64"
                           : elem.isInteger(32) ? "i32"
                                                : nullptr;
      if (!suffix) // The dump format has no other types; readers see it.
        return success();
      auto unranked = UnrankedMemRefType::get(elem, 0);
      FailureOr<func::FuncOp> fn = declareRuntimeFunction(
          module, (Twine("pareprop_cuda_dump_") + suffix).str(),
          db.getFunctionType({i64, i64, unranked}, {}));
      if (failed(fn))
        return failure();
      Value cast = memref::CastOp::create(db, loc, unranked, buffer);
      func::CallOp::create(
          db, loc, *fn,
          ValueRange{arith::ConstantIntOp::create(db, loc, kind, 64),
                     arith::ConstantIntOp::create(db, loc, index, 64), cast});
      return success();
    };

    auto entry = func::FuncOp::create(
        b, loc, kEntryName, b.getFunctionType({i64, i64}, {b.getI32Type()}));
    symbols.insert(entry);
    Block *body = entry.addEntryBlock();
    b.setInsertionPointToStart(body);
    Value steps = body->getArgument(0), warmup = body->getArgument(1);
    auto tokenType = gpu::AsyncTokenType::get(ctx);
    auto cIndex = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto cI64 = [&](OpBuilder &ib, int64_t v) -> Value {
      return arith::ConstantIntOp::create(ib, loc, v, 64);
    };

    // The gradients' arguments, for the dump's header.
    if (auto gradArgs = step->getAttrOfType<DenseI64ArrayAttr>(
            rev::RevDialect::kGradArgsAttr)) {
      for (int64_t arg : gradArgs.asArrayRef())
        func::CallOp::create(b, loc, *dumpGradientOf, ValueRange{cI64(b, arg)});
    }

    // Inputs on one stream, filled by one kernel each.
    Value token =
        gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
    SmallVector<Value> inputs, buffers;
    for (auto [i, type] : llvm::enumerate(step.getArgumentTypes())) {
      auto memref = dyn_cast<MemRefType>(type);
      if (!memref) {
        inputs.push_back(cI64(b, seed));
        continue;
      }
      auto alloc =
          gpu::AllocOp::create(b, loc, memref, tokenType, ValueRange{token},
                               ValueRange{}, ValueRange{}, false);
      Value buf = alloc.getMemref();
      inputs.push_back(buf);
      buffers.push_back(buf);
      SmallVector<Value> lbs, ubs, stepsOne;
      for (int64_t d : memref.getShape()) {
        lbs.push_back(cIndex(0));
        ubs.push_back(cIndex(d));
        stepsOne.push_back(cIndex(1));
      }
      Type elem = memref.getElementType();
      int64_t bound = 1;
      if (elem.isInteger())
        bound = step.getArgAttrOfType<IntegerAttr>(
                        i, rev::RevDialect::kIndexBoundAttr)
                    .getInt();
      double scale = memref.getRank() >= 2
                         ? 1.0 / std::sqrt(double(memref.getDimSize(0)))
                         : 0.5;
      uint64_t base = uint64_t(seed) * 0x9E3779B97F4A7C15ull +
                      uint64_t(i) * 0xBF58476D1CE4E5B9ull + 1;
      auto fill = scf::ParallelOp::create(
          b, loc, lbs, ubs, stepsOne,
          [&](OpBuilder &pb, Location l, ValueRange ivs) {
            // Row-major element number.
            Value linear = arith::ConstantIndexOp::create(pb, l, 0);
            for (auto [d, iv] : llvm::enumerate(ivs)) {
              linear = arith::MulIOp::create(
                  pb, l, linear,
                  arith::ConstantIndexOp::create(pb, l, memref.getDimSize(d)));
              linear = arith::AddIOp::create(pb, l, linear, iv);
            }
            Value e = arith::IndexCastUIOp::create(pb, l, i64, linear);
            Value h =
                mix(pb, l,
                    arith::AddIOp::create(pb, l, cI64(pb, int64_t(base)), e));
            Value v;
            if (elem.isInteger()) {
              v = arith::RemUIOp::create(pb, l, h, cI64(pb, bound));
              if (!elem.isInteger(64))
                v = arith::TruncIOp::create(pb, l, elem, v);
            } else {
              // Uniform in [-scale, scale) from the top 24 bits.
              Value top = arith::ShRUIOp::create(pb, l, h, cI64(pb, 40));
              Value u = arith::UIToFPOp::create(pb, l, f64, top);
              Value x =
                  arith::MulFOp::create(pb, l, u,
                                        arith::ConstantFloatOp::create(
                                            pb, l, b.getF64Type(),
                                            APFloat(2.0 * scale / 16777216.0)));
              x = arith::SubFOp::create(
                  pb, l, x,
                  arith::ConstantFloatOp::create(pb, l, b.getF64Type(),
                                                 APFloat(scale)));
              v = elem.isF64() ? x : arith::TruncFOp::create(pb, l, elem, x);
            }
            memref::StoreOp::create(pb, l, v, buf, ivs);
          });
      FailureOr<Value> filled =
          launchParallelLoop(fill, alloc.getAsyncToken(), threadsPerBlock);
      if (failed(filled))
        return signalPassFailure();
      token = *filled;
    }
    gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
    if (failed(checkIndices(b, module, step, inputs)))
      return signalPassFailure();
    for (auto [i, input] : llvm::enumerate(inputs)) {
      if (!isa<MemRefType>(input.getType())) {
        func::CallOp::create(b, loc, *dumpScalar,
                             ValueRange{cI64(b, int64_t(i)), input});
        continue;
      }
      if (failed(dumpTensor(b, 0, int64_t(i), input)))
        return signalPassFailure();
    }
    func::CallOp::create(b, loc, *resetPeak, ValueRange{});

    // Runs the step and frees its results; returns the results for `use`.
    auto runStep = [&](OpBuilder &sb,
                       function_ref<void(OpBuilder &, ValueRange)> use) {
      auto call = func::CallOp::create(sb, loc, step, inputs);
      if (use)
        use(sb, call.getResults());
      Value t =
          gpu::WaitOp::create(sb, loc, tokenType, ValueRange{}).getAsyncToken();
      for (Value r : call.getResults())
        if (isa<MemRefType>(r.getType()))
          t = gpu::DeallocOp::create(sb, loc, tokenType, ValueRange{t}, r)
                  .getAsyncToken();
      gpu::WaitOp::create(sb, loc, Type(), ValueRange{t});
    };
    auto loop = [&](Value count) {
      Value ub = arith::IndexCastOp::create(b, loc, b.getIndexType(), count);
      scf::ForOp::create(b, loc, cIndex(0), ub, cIndex(1), ValueRange{},
                         [&](OpBuilder &lb, Location, Value, ValueRange) {
                           runStep(lb, nullptr);
                           scf::YieldOp::create(lb, loc);
                         });
    };
    loop(warmup);
    Value t0 = func::CallOp::create(b, loc, *clock, ValueRange{}).getResult(0);
    loop(steps);
    Value t1 = func::CallOp::create(b, loc, *clock, ValueRange{}).getResult(0);
    Value seconds = arith::SubFOp::create(b, loc, t1, t0);

    // One more step: the loss (first result) and the sum of every other f32
    // result (the gradients), and the dump of every result.
    Value loss =
        arith::ConstantFloatOp::create(b, loc, b.getF64Type(), APFloat(0.0));
    Value checksum = loss;
    bool dumped = true;
    runStep(b, [&](OpBuilder &sb, ValueRange results) {
      for (auto [k, r] : llvm::enumerate(results)) {
        auto type = dyn_cast<MemRefType>(r.getType());
        if (type && failed(dumpTensor(sb, 1, int64_t(k), r)))
          dumped = false;
        if (!type || !type.getElementType().isF32())
          continue;
        Value cast = memref::CastOp::create(sb, loc, unrankedF32, r);
        Value s =
            func::CallOp::create(sb, loc, *sum, ValueRange{cast}).getResult(0);
        if (k == 0)
          loss = s;
        else
          checksum = arith::AddFOp::create(sb, loc, checksum, s);
      }
    });
    if (!dumped)
      return signalPassFailure();
    Value t =
        gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
    for (Value buf : buffers)
      t = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{t}, buf)
              .getAsyncToken();
    gpu::WaitOp::create(b, loc, Type(), ValueRange{t});
    func::CallOp::create(
        b, loc, *report,
        ValueRange{steps, seconds, cI64(b, imagesPerStep), loss, checksum});
    func::ReturnOp::create(
        b, loc, ValueRange{arith::ConstantIntOp::create(b, loc, 0, 32)});
  }
};

} // namespace
