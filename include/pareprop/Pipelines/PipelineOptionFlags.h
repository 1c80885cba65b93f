//===- PipelineOptionFlags.h - pipeline options as tool flags ---*- C++ -*-===//
//
// A tool that compiles through a pipeline (pareprop-run) takes the
// pipeline's options as its own flags, with the pipeline's names, help and
// parsers: `--lookahead 2`, `--plan-buffers=false`. The options stay
// declared once, in the pipeline's options struct; the flags only carry the
// text to it.
//
//===----------------------------------------------------------------------===//

#ifndef PAREPROP_PIPELINES_PIPELINEOPTIONFLAGS_H
#define PAREPROP_PIPELINES_PIPELINEOPTIONFLAGS_H

#include "mlir/Pass/PassOptions.h"
#include "llvm/Support/CommandLine.h"

#include <memory>
#include <vector>

namespace pareprop {

class PipelineOptionFlags {
public:
  /// Declares, in `category`, a flag for each of `options` (from
  /// BufferStageOptions::commandLineOptions) whose name is not in
  /// `toolSet` (the options the tool sets itself). Call before
  /// llvm::cl::ParseCommandLineOptions.
  PipelineOptionFlags(llvm::ArrayRef<llvm::cl::Option *> options,
                      llvm::ArrayRef<llvm::StringRef> toolSet,
                      llvm::cl::OptionCategory &category);
  ~PipelineOptionFlags();

  /// The flags given on the command line as pipeline option text
  /// ("lookahead=2 plan-buffers=false").
  std::string optionText() const;

  /// Parses the flags given into `options`; false, with the pipeline
  /// parser's message in `error`, on a bad value.
  bool apply(mlir::detail::PassOptions &options, std::string &error) const;

private:
  struct Flag;
  std::vector<std::unique_ptr<Flag>> flags;
};

} // namespace pareprop

#endif
