//===- TensorDump.cpp - the text dump of a training step's tensors --------===//

#include "pareprop/Runtime/TensorDump.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace pareprop::runtime {

int64_t DumpTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string formatDumpHeader(const std::string &comment,
                             const std::vector<int64_t> &gradArgs) {
  std::string text =
      "# " + comment + "; results: loss, then gradients of arguments";
  for (int64_t i : gradArgs)
    text += " " + std::to_string(i);
  return text + "\n";
}

std::string formatDumpTensor(const std::string &header,
                             const DumpTensor &tensor) {
  std::string text =
      header + " " + tensor.dtype + " " + std::to_string(tensor.shape.size());
  for (int64_t d : tensor.shape)
    text += " " + std::to_string(d);
  text += "\n";
  // 9 significant digits give back every float, 17 every double.
  const char *format = tensor.dtype == "f32" ? "%.9g " : "%.17g ";
  char number[40];
  for (double v : tensor.values) {
    std::snprintf(number, sizeof number, format, v);
    text += number;
  }
  return text + "\n";
}

void writeDumpHeader(std::FILE *out, const std::string &comment,
                     const std::vector<int64_t> &gradArgs) {
  std::fputs(formatDumpHeader(comment, gradArgs).c_str(), out);
}

void writeDumpTensor(std::FILE *out, const std::string &header,
                     const DumpTensor &tensor) {
  std::fputs(formatDumpTensor(header, tensor).c_str(), out);
}

namespace {

bool parseInt(const std::string &text, int64_t &value) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno || *end)
    return false;
  value = v;
  return true;
}

} // namespace

bool readDump(const std::string &path, Dump &dump, std::string &error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot read the file";
    return false;
  }
  auto failAt = [&](int line, const std::string &what) {
    error = path + ":" + std::to_string(line) + ": " + what;
    return false;
  };
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty())
      continue;
    if (line[0] == '#') {
      const std::string marker = "gradients of arguments";
      size_t at = line.find(marker);
      if (at == std::string::npos)
        continue;
      std::istringstream tail(line.substr(at + marker.size()));
      dump.gradArgs.clear();
      dump.hasGradArgs = true;
      std::string word;
      while (tail >> word) {
        int64_t i;
        if (!parseInt(word, i) || i < 0)
          return failAt(lineNo, "bad argument index '" + word +
                                    "' in the "
                                    "header");
        dump.gradArgs.push_back(i);
      }
      continue;
    }
    std::istringstream words(line);
    std::vector<std::string> header;
    for (std::string w; words >> w;)
      header.push_back(w);
    if (header.empty())
      continue;
    const int headerLine = lineNo;
    bool isArg = header[0] == "arg";
    if (!isArg && header[0] != "result")
      return failAt(lineNo, "expected a line starting 'arg' or 'result', "
                            "got '" +
                                header[0] + "'");
    if (header.size() < 5)
      return failAt(lineNo, "expected '" + header[0] +
                                " <index|name> <index|-> <dtype> <rank> "
                                "<dims...>'");
    int64_t index, rank;
    if (!parseInt(header[2 - isArg], index) || index < 0)
      return failAt(lineNo, "bad index '" + header[2 - isArg] + "'");
    DumpTensor tensor;
    tensor.dtype = header[3];
    if (tensor.dtype != "f32" && tensor.dtype != "f64" && tensor.dtype != "i64")
      return failAt(lineNo, "unknown element type '" + tensor.dtype +
                                "' (expected f32, f64 or i64)");
    if (!parseInt(header[4], rank) || rank < 0 ||
        header.size() != size_t(5 + rank))
      return failAt(lineNo, "the rank does not match the dimensions given");
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size;
      if (!parseInt(header[5 + d], size) || size < 0)
        return failAt(lineNo, "bad dimension '" + header[5 + d] + "'");
      tensor.shape.push_back(size);
    }
    if (!std::getline(in, line))
      return failAt(headerLine, "the values line is missing");
    ++lineNo;
    std::istringstream values(line);
    for (std::string w; values >> w;) {
      char *end = nullptr;
      double v = std::strtod(w.c_str(), &end);
      if (*end)
        return failAt(lineNo, "bad value '" + w + "'");
      tensor.values.push_back(v);
    }
    if (int64_t(tensor.values.size()) != tensor.numElements())
      return failAt(lineNo,
                    std::to_string(tensor.values.size()) + " values for " +
                        std::to_string(tensor.numElements()) + " elements");
    if (isArg) {
      if (!dump.args.emplace(index, std::move(tensor)).second)
        return failAt(headerLine,
                      "argument " + std::to_string(index) + " appears twice");
      continue;
    }
    const std::string &set = header[1];
    auto [it, inserted] = dump.results.try_emplace(set);
    if (inserted)
      dump.resultSets.push_back(set);
    if (!it->second.emplace(index, std::move(tensor)).second)
      return failAt(headerLine, "result " + std::to_string(index) + " of " +
                                    set + " appears twice");
  }
  return true;
}

} // namespace pareprop::runtime
