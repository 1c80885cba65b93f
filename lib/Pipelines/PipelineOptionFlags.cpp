//===- PipelineOptionFlags.cpp - pipeline options as tool flags -----------===//

#include "pareprop/Pipelines/PipelineOptionFlags.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using llvm::StringRef;

using namespace pareprop;
namespace cl = llvm::cl;

/// A tool flag standing for one pipeline option: it takes the text of the
/// value and leaves the parsing to the pipeline's option.
struct PipelineOptionFlags::Flag {
  Flag(cl::Option &option, cl::OptionCategory &category)
      : name(option.ArgStr.str()), help(option.HelpStr.str()),
        valueName(option.ValueStr.str()),
        valueOptional(option.getValueExpectedFlag() == cl::ValueOptional),
        text(StringRef(name), cl::desc(help), cl::cat(category),
             valueOptional ? cl::ValueOptional : cl::ValueRequired) {
    if (!valueName.empty())
      text.setValueStr(valueName);
  }
  // The strings the flag's cl::opt points into.
  std::string name, help, valueName;
  bool valueOptional;
  cl::opt<std::string> text;
};

PipelineOptionFlags::PipelineOptionFlags(
    llvm::ArrayRef<cl::Option *> options,
    llvm::ArrayRef<llvm::StringRef> toolSet, cl::OptionCategory &category) {
  for (cl::Option *option : options)
    if (!llvm::is_contained(toolSet, option->ArgStr))
      flags.push_back(std::make_unique<Flag>(*option, category));
}

PipelineOptionFlags::~PipelineOptionFlags() = default;

std::string PipelineOptionFlags::optionText() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  for (const std::unique_ptr<Flag> &flag : flags) {
    if (!flag->text.getNumOccurrences())
      continue;
    if (!out.empty())
      os << ' ';
    // `--plan-buffers` alone is `plan-buffers=true`; a value with spaces is
    // braced, as the option parser expects.
    StringRef value = flag->text.getValue();
    if (value.empty() && flag->valueOptional)
      value = "true";
    os << flag->name << '=';
    if (value.contains(' '))
      os << '{' << value << '}';
    else
      os << value;
  }
  return out;
}

bool PipelineOptionFlags::apply(mlir::detail::PassOptions &options,
                                std::string &error) const {
  std::string text = optionText();
  if (text.empty())
    return true;
  llvm::raw_string_ostream errors(error);
  return mlir::succeeded(options.parseFromString(text, errors));
}
