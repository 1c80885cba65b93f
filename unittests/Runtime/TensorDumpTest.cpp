//===- TensorDumpTest.cpp - the text dump of a step's tensors -------------===//
//
// What one build writes another reads back exactly (f32, f64, i64 scalars),
// and a malformed dump is refused naming its line.
//
//===----------------------------------------------------------------------===//

#include "pareprop/Runtime/TensorDump.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

using namespace pareprop::runtime;

namespace {

/// A file under the test's temporary directory, removed at the end.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string &name)
      : path(::testing::TempDir() + "/pareprop-dump-" + name) {}
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::string &text) const {
    std::FILE *f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
};

TEST(TensorDump, RoundTripsExactly) {
  TempFile file("round-trip");
  DumpTensor weights{"f32", {2, 3}, {}};
  // Values that lose bits when printed with fewer than 9 digits.
  for (float v : {0.1f, -1.0f / 3.0f, 1e-30f, 3.4e38f, -0.0f, 16777217.0f})
    weights.values.push_back(double(v));
  DumpTensor seed{"i64", {}, {double((uint64_t(1) << 52) + 3)}};
  DumpTensor loss{"f64", {}, {std::numeric_limits<double>::denorm_min()}};
  DumpTensor grad{"f32", {2, 3}, {1, 2, 3, 4, 5, 6}};
  DumpTensor empty{"f32", {0, 4}, {}};
  std::FILE *out = std::fopen(file.path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  writeDumpHeader(out, "test", {0, 2});
  writeDumpTensor(out, "arg 0 -", weights);
  writeDumpTensor(out, "arg 1 -", seed);
  writeDumpTensor(out, "arg 2 -", empty);
  writeDumpTensor(out, "result gpu 0", loss);
  writeDumpTensor(out, "result gpu 1", grad);
  writeDumpTensor(out, "result stored 0", loss);
  std::fclose(out);

  Dump dump;
  std::string error;
  ASSERT_TRUE(readDump(file.path, dump, error)) << error;
  EXPECT_TRUE(dump.hasGradArgs);
  EXPECT_EQ(dump.gradArgs, (std::vector<int64_t>{0, 2}));
  ASSERT_EQ(dump.args.size(), 3u);
  EXPECT_EQ(dump.args[0].dtype, "f32");
  EXPECT_EQ(dump.args[0].shape, (std::vector<int64_t>{2, 3}));
  for (size_t i = 0; i < weights.values.size(); ++i)
    EXPECT_EQ(float(dump.args[0].values[i]), float(weights.values[i])) << i;
  EXPECT_TRUE(std::signbit(dump.args[0].values[4]));
  EXPECT_EQ(dump.args[1].values, seed.values);
  EXPECT_TRUE(dump.args[1].shape.empty());
  EXPECT_EQ(dump.args[2].numElements(), 0);
  EXPECT_EQ(dump.resultSets, (std::vector<std::string>{"gpu", "stored"}));
  EXPECT_EQ(dump.results["gpu"][0].values, loss.values);
  EXPECT_EQ(dump.results["gpu"][1].values, grad.values);
  EXPECT_EQ(dump.results["stored"].size(), 1u);
}

/// The error readDump gives for `text`, or "" when it accepts it.
std::string errorFor(const std::string &text) {
  TempFile file("malformed");
  file.write(text);
  Dump dump;
  std::string error;
  return readDump(file.path, dump, error) ? "" : error;
}

TEST(TensorDump, RefusesMalformedDumps) {
  EXPECT_EQ(errorFor("arg 0 - f32 1 2\n1 2\n"), "");
  EXPECT_NE(errorFor("arg 0 - f32 1 2\n1 2 3\n").find(":2: 3 values for 2"),
            std::string::npos);
  EXPECT_NE(errorFor("arg 0 - f16 1 2\n1 2\n").find(":1: unknown element"),
            std::string::npos);
  EXPECT_NE(errorFor("arg 0 - f32 2 2\n1 2\n").find("rank does not match"),
            std::string::npos);
  EXPECT_NE(errorFor("arg 0 - f32 1 2\n").find(":1: the values line"),
            std::string::npos);
  EXPECT_NE(errorFor("arg 0 - f32 1 2\n1 x\n").find(":2: bad value 'x'"),
            std::string::npos);
  EXPECT_NE(errorFor("tensor 0 - f32 0\n1\n").find("'arg' or 'result'"),
            std::string::npos);
  EXPECT_NE(errorFor("arg 0 - f32 0\n1\narg 0 - f32 0\n2\n")
                .find(":3: argument 0 appears twice"),
            std::string::npos);
  EXPECT_NE(errorFor("# results: loss, then gradients of arguments 1 z\n")
                .find("bad argument index 'z'"),
            std::string::npos);
  Dump dump;
  std::string error;
  EXPECT_FALSE(readDump("/nonexistent/pareprop.dump", dump, error));
  EXPECT_NE(error.find("cannot read"), std::string::npos);
}

} // namespace
