//===- CudaMain.cpp - main() of GPU benchmark executables -----------------===//
//
// Linked with a step compiled by `rev-to-gpu{benchmark-entry}`: parses the
// command line and calls the generated @pareprop_benchmark.
//
// The lowered module loads its kernels in a global constructor (priority 123
// in MLIR's gpu.binary translation), which needs the driver and a GPU. The
// command line is parsed in a constructor that runs before it, so that
// `--help` and bad arguments are answered on any machine. glibc passes
// main's arguments to constructors.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int32_t pareprop_benchmark(int64_t steps, int64_t warmup);
extern "C" void pareprop_cuda_set_dump(const char *path, const char *name);

namespace {

struct Options {
  int64_t steps = 10, warmup = 2;
  const char *dump = nullptr, *dumpName = nullptr;
  bool parsed = false;
};

Options &options() {
  static Options o;
  return o;
}

void usage(std::FILE *out, const char *program) {
  std::fprintf(out,
               "usage: %s [--steps N] [--warmup N] [--dump FILE "
               "[--dump-name NAME]]\n"
               "Runs N training steps on random data on the GPU and "
               "prints step time, throughput, peak device memory, the "
               "loss and a gradient checksum.\n"
               "--dump writes the inputs and the last step's loss and "
               "gradients to FILE (as `pareprop-run --dump` does; "
               "results named NAME, default gpu) for `pareprop-run "
               "--compare-dump FILE`.\n",
               program);
}

/// Fills `o`; returns -1 to go on, or the exit status.
int parse(int argc, char **argv, Options &o) {
  o.parsed = true;
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
    if (std::strcmp(argv[i], "--help") == 0 ||
        std::strcmp(argv[i], "-h") == 0) {
      usage(stdout, argv[0]);
      return 0;
    }
    if ((v = value("--steps"))) {
      o.steps = std::atoll(v);
    } else if ((v = value("--warmup"))) {
      o.warmup = std::atoll(v);
    } else if ((v = value("--dump"))) {
      o.dump = v;
    } else if ((v = value("--dump-name"))) {
      o.dumpName = v;
    } else {
      std::fprintf(stderr, "%s: unknown or incomplete argument '%s'\n", argv[0],
                   argv[i]);
      usage(stderr, argv[0]);
      return 2;
    }
  }
  if (o.steps < 1 || o.warmup < 0) {
    std::fprintf(stderr,
                 "%s: --steps must be at least 1 and --warmup at "
                 "least 0\n",
                 argv[0]);
    return 2;
  }
  if (o.dumpName && !o.dump) {
    std::fprintf(stderr, "%s: --dump-name needs --dump\n", argv[0]);
    return 2;
  }
  return -1;
}

#ifdef __GLIBC__
__attribute__((constructor(101))) void
parseBeforeKernelsLoad(int argc, char **argv, char **) {
  if (int status = parse(argc, argv, options()); status >= 0) {
    std::fflush(stdout);
    std::_Exit(status); // Nothing to clean up: no GPU state exists yet.
  }
}
#endif

} // namespace

int main(int argc, char **argv) {
  Options &o = options();
  if (!o.parsed) // Without glibc: parsed here, after the kernels loaded.
    if (int status = parse(argc, argv, o); status >= 0)
      return status;
  pareprop_cuda_set_dump(o.dump, o.dumpName);
  return pareprop_benchmark(o.steps, o.warmup);
}
