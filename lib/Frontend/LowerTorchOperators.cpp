//===- LowerTorchOperators.cpp - a frontend's module to nn ----------------===//

#include "pareprop/Frontend/LowerTorchOperators.h"

#include "pareprop/Conversion/Passes.h"
#include "pareprop/InitAllDialects.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

llvm::Expected<std::string> pareprop::lowerTorchOperators(StringRef text) {
  DialectRegistry registry;
  registry.insert<func::FuncDialect, arith::ArithDialect>();
  registerAllDialects(registry);
  MLIRContext context(registry);

  std::string diagnostics;
  llvm::raw_string_ostream diag(diagnostics);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "<model>"), llvm::SMLoc());
  // A frontend names where a call came from (a module path) in a NameLoc:
  // say it the way users read it. Other locations (the text's, when it
  // does not parse) go through the source manager.
  SourceMgrDiagnosticHandler sourceHandler(sourceMgr, &context, diag);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    if (auto name = dyn_cast<NameLoc>(d.getLocation())) {
      if (!diagnostics.empty())
        diag << "\n";
      diag << d.str() << " at " << name.getName().getValue();
      return success();
    }
    return failure(); // To the source manager's handler.
  });
  auto fail = [&](StringRef what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   diagnostics.empty() ? what.str()
                                                       : diagnostics);
  };

  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return fail("the frontend's module does not parse");
  PassManager pm(&context);
  pm.addPass(createConvertATenToNN());
  if (failed(pm.run(*module)))
    return fail("convert-aten-to-nn failed");
  if (failed(verify(*module)))
    return fail("the lowered module does not verify");

  std::string out;
  llvm::raw_string_ostream os(out);
  for (StringRef line : llvm::split(text, '\n')) {
    if (!line.starts_with("//"))
      break;
    os << line << "\n";
  }
  module->print(os);
  return out;
}
