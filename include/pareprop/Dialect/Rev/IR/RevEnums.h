//===- RevEnums.h - the rev dialect's enumerations --------------*- C++ -*-===//
//
// Generated from RevEnums.td. The analyses include this header directly:
// it needs only the builtin attributes, not the dialect.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_DIALECT_REV_IR_REVENUMS_H
#define PAREPROP_DIALECT_REV_IR_REVENUMS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include <optional>
#include <string>

#include "pareprop/Dialect/Rev/IR/RevEnums.h.inc"

namespace pareprop {

/// "a, b or c": the names of a generated enum with values 0..maxValue, for
/// diagnostics.
template <typename EnumT> std::string enumNames(unsigned maxValue) {
  std::string names;
  for (unsigned i = 0; i <= maxValue; ++i) {
    if (i)
      names += i == maxValue ? " or " : ", ";
    names += stringifyEnum(EnumT(i)).str();
  }
  return names;
}

/// The command-line parser of a generated enum: every value under its
/// TableGen name, added when the option is made, and an error listing the
/// names for anything else. llvm::cl::parser<E> is specialized with it
/// below, so pass options, pipeline options and tool flags of these types
/// all take RevEnums.td's names without repeating them.
template <typename EnumT, unsigned MaxValue>
class EnumOptionParser : public llvm::cl::generic_parser_base {
protected:
  struct OptionInfo : GenericOptionInfo {
    OptionInfo(llvm::StringRef name, EnumT value)
        : GenericOptionInfo(name, name), V(value) {}
    llvm::cl::OptionValue<EnumT> V;
  };
  llvm::SmallVector<OptionInfo, 4> Values;

public:
  using parser_data_type = EnumT;
  explicit EnumOptionParser(llvm::cl::Option &owner)
      : generic_parser_base(owner) {}

  void initialize() {
    for (unsigned i = 0; i <= MaxValue; ++i) {
      Values.emplace_back(stringifyEnum(EnumT(i)), EnumT(i));
      AddLiteralOption(Owner, Values.back().Name);
    }
  }
  unsigned getNumOptions() const override { return Values.size(); }
  llvm::StringRef getOption(unsigned n) const override {
    return Values[n].Name;
  }
  llvm::StringRef getDescription(unsigned n) const override {
    return Values[n].HelpStr;
  }
  const llvm::cl::GenericOptionValue &
  getOptionValue(unsigned n) const override {
    return Values[n].V;
  }
  bool parse(llvm::cl::Option &option, llvm::StringRef argName,
             llvm::StringRef arg, EnumT &value) {
    llvm::StringRef name = Owner.hasArgStr() ? arg : argName;
    if (std::optional<EnumT> parsed = rev::symbolizeEnum<EnumT>(name)) {
      value = *parsed;
      return false;
    }
    return option.error("unknown value '" + name + "' (expected " +
                        enumNames<EnumT>(MaxValue) + ")");
  }
};

} // namespace pareprop

#define PAREPROP_ENUM_OPTION_PARSER(EnumT)                                     \
  template <>                                                                  \
  class parser<::pareprop::rev::EnumT>                                         \
      : public ::pareprop::EnumOptionParser<                                   \
            ::pareprop::rev::EnumT,                                            \
            ::pareprop::rev::getMaxEnumValFor##EnumT()> {                      \
  public:                                                                      \
    using EnumOptionParser::EnumOptionParser;                                  \
  };
namespace llvm::cl {
PAREPROP_ENUM_OPTION_PARSER(TaskKind)
PAREPROP_ENUM_OPTION_PARSER(SchedulePolicyKind)
PAREPROP_ENUM_OPTION_PARSER(StepMode)
PAREPROP_ENUM_OPTION_PARSER(TransitionMode)
} // namespace llvm::cl
#undef PAREPROP_ENUM_OPTION_PARSER

#endif
