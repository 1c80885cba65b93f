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

int main(int argc, char **argv) {
  int64_t steps = 10, warmup = 2;
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
    } else {
      std::fprintf(stderr,
                   "usage: %s [--steps N] [--warmup N]\n"
                   "Runs N training steps on random data on the GPU and "
                   "prints step time, throughput, peak device memory, the "
                   "loss and a gradient checksum.\n",
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
  return pareprop_benchmark(steps, warmup);
}
