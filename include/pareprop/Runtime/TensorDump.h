//===- TensorDump.h - the text dump of a training step's tensors -*- C++ -*-=//
//
// `pareprop-run --dump` and GPU benchmark executables (`--dump`) write a
// step's inputs and results in one text format, so that one build's results
// can be checked against another's on the same inputs (`pareprop-run
// --compare-dump`) and against PyTorch (utils/gen-rev-*.py --check-dump):
//
//   # <comment>; results: loss, then gradients of arguments 2 3 4
//   arg <i> - <dtype> <rank> <dims...>
//   <values...>
//   result <name> <k> <dtype> <rank> <dims...>
//   <values...>
//
// dtype is f32, f64 or i64 (an i64 scalar seed has rank 0). f32 values are
// written with 9 significant digits and f64 and integer values with 17, so
// they read back exactly. Plain C++: the GPU runtime, which must not depend
// on LLVM, uses it too.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_RUNTIME_TENSORDUMP_H
#define PAREPROP_RUNTIME_TENSORDUMP_H

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace pareprop::runtime {

struct DumpTensor {
  std::string dtype; // "f32", "f64" or "i64"
  std::vector<int64_t> shape;
  std::vector<double> values; // Row-major; integers are exact up to 2^53.

  int64_t numElements() const;
};

struct Dump {
  /// Argument index -> value.
  std::map<int64_t, DumpTensor> args;
  /// Result set name (a schedule, or a GPU executable's name) -> result
  /// index (0: the loss) -> value; `resultSets` in the order they appear.
  std::map<std::string, std::map<int64_t, DumpTensor>> results;
  std::vector<std::string> resultSets;
  /// The arguments whose gradients results 1.. are, when the header says.
  std::vector<int64_t> gradArgs;
  bool hasGradArgs = false;
};

/// "# <comment>; results: loss, then gradients of arguments <gradArgs...>"
/// and a newline.
std::string formatDumpHeader(const std::string &comment,
                             const std::vector<int64_t> &gradArgs);

/// "<header> <dtype> <rank> <dims...>" and a line of values.
std::string formatDumpTensor(const std::string &header,
                             const DumpTensor &tensor);

void writeDumpHeader(std::FILE *out, const std::string &comment,
                     const std::vector<int64_t> &gradArgs);
void writeDumpTensor(std::FILE *out, const std::string &header,
                     const DumpTensor &tensor);

/// Parses a dump; false with `error` set (naming the line) when the file is
/// missing or malformed.
bool readDump(const std::string &path, Dump &dump, std::string &error);

} // namespace pareprop::runtime

#endif // PAREPROP_RUNTIME_TENSORDUMP_H
