//===- CudaMain.cpp - main() of GPU benchmark executables -----------------===//
//
// Linked with a step compiled by `rev-to-gpu{benchmark-entry}`: parses the
// command line and calls the generated @pareprop_benchmark.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int32_t pareprop_benchmark(int64_t steps, int64_t warmup);
extern "C" void pareprop_cuda_set_dump(const char *path, const char *name);

int main(int argc, char **argv) {
  int64_t steps = 10, warmup = 2;
  const char *dump = nullptr, *dumpName = nullptr;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](const char *flag) -> const char * {
      size_t n = std::strlen(flag);
      if (std::strncmp(argv[i], flag, n) == 0 && argv[i][n] == '=')
        return argv[i] + n + 1;
      if (std::strcmp(argv[i], flag) == 0 && i + 1 < argc)
        return argv[++i];
      return nullptr;
    };
    const char *v;
    if ((v = value("--steps"))) {
      steps = std::atoll(v);
    } else if ((v = value("--warmup"))) {
      warmup = std::atoll(v);
    } else if ((v = value("--dump"))) {
      dump = v;
    } else if ((v = value("--dump-name"))) {
      dumpName = v;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--steps N] [--warmup N] [--dump FILE "
                   "[--dump-name NAME]]\n"
                   "Runs N training steps on random data on the GPU and "
                   "prints step time, throughput, peak device memory, the "
                   "loss and a gradient checksum.\n"
                   "--dump writes the inputs and the last step's loss and "
                   "gradients to FILE (as `pareprop-run --dump` does; "
                   "results named NAME, default gpu) for `pareprop-run "
                   "--compare-dump FILE`.\n",
                   argv[0]);
      return 2;
    }
  }
  if (steps < 1 || warmup < 0) {
    std::fprintf(stderr,
                 "%s: --steps must be at least 1 and --warmup at "
                 "least 0\n",
                 argv[0]);
    return 2;
  }
  if (dumpName && !dump) {
    std::fprintf(stderr, "%s: --dump-name needs --dump\n", argv[0]);
    return 2;
  }
  pareprop_cuda_set_dump(dump, dumpName);
  return pareprop_benchmark(steps, warmup);
}
