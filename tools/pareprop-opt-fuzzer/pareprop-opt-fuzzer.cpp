//===- pareprop-opt-fuzzer.cpp - libFuzzer target for the compiler --------===//
//
// Parses its input as MLIR, verifies it, and runs one of the project's
// pipelines on what verifies: the training step under each schedule lowered
// to LLVM, ordinary backprop, the forward alone, checkpointed transitions,
// and the GPU lowering up to the point where ptxas would be needed. Which
// pipeline is a hash of the input, so an input always takes the same one.
// Diagnostics are the right answer to bad input and are dropped; a crash,
// an assertion (the project's code is built with assertions here) or a
// sanitizer report is a bug. See docs/tools.md ("Fuzzing").
//
//===----------------------------------------------------------------------===//

#include "pareprop/Dialect/Rev/IR/RevDialect.h"
#include "pareprop/InitAllDialects.h"
#include "pareprop/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

namespace {

MLIRContext &context() {
  // One context for every input: loading the dialects is most of the cost
  // of a small input. MLIR's thread pool would only add nondeterminism.
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    pareprop::registerAllDialects(registry);
    auto *c = new MLIRContext(registry, MLIRContext::Threading::DISABLED);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

/// FNV-1a: a hash that is the same in every process (llvm::hash_value may
/// be seeded per execution).
uint64_t stableHash(llvm::StringRef text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

/// The pipelines an input may take.
constexpr unsigned kPipelines = 8;

void buildPipeline(PassManager &pm, unsigned choice) {
  if (choice == kPipelines - 1) {
    pareprop::RevToGPUOptions gpu;
    pareprop::buildRevToGPUKernelsPipeline(pm, gpu);
    return;
  }
  pareprop::RevToLLVMOptions options;
  switch (choice) {
  case 0:
    options.policy = pareprop::rev::SchedulePolicyKind::Vanilla;
    break;
  case 1:
    options.policy = pareprop::rev::SchedulePolicyKind::PaReprop;
    break;
  case 2:
    options.policy = pareprop::rev::SchedulePolicyKind::List;
    break;
  case 3:
    options.policy = pareprop::rev::SchedulePolicyKind::Auto;
    break;
  case 4:
    options.mode = pareprop::rev::StepMode::Stored;
    options.policy = pareprop::rev::SchedulePolicyKind::PaReprop;
    break;
  case 5:
    options.mode = pareprop::rev::StepMode::None;
    break;
  default:
    options.transitions = pareprop::rev::TransitionMode::Checkpoint;
    options.checkReconstruction = true;
    break;
  }
  pareprop::buildRevToLLVMPipeline(pm, options);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  registerAllPasses();
  pareprop::registerAllPaRepropPasses();
  (void)context();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &ctx = context();
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  // MLIR's lexer reads up to the NUL that a file's MemoryBuffer ends with
  // (every tool parses through one); libFuzzer's bytes have none after
  // them, so the harness parses a terminated copy, as the tools would.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz-input"), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&ctx));
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&ctx);
  buildPipeline(pm, unsigned(stableHash(text) % kPipelines));
  (void)pm.run(*module);
  return 0;
}
