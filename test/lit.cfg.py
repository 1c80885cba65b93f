# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "PaReprop"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.pareprop_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

config.substitutions.append(("%utils", os.path.join(config.pareprop_src_root, "utils")))
config.substitutions.append(("%examples", os.path.join(config.pareprop_src_root, "examples")))
config.substitutions.append(("%src_root", config.pareprop_src_root))
config.substitutions.append(("%obj_root", config.pareprop_obj_root))
# A sanitized build (utils/sanitize.sh, cmake/Sanitizers.cmake): every test
# runs with leak checking on; a Python process, which is not built with the
# sanitizer runtime, preloads it before it loads libPaRepropCAPI.so.
python_prefix = ""
if config.sanitizer_runtime:
    config.available_features.add("sanitizers")
    config.environment["ASAN_OPTIONS"] = "detect_leaks=1"
    config.environment["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % (
        os.path.join(config.pareprop_src_root, "utils", "sanitizers", "lsan.supp"))
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    python_prefix = "env LD_PRELOAD=%s PYTHONMALLOC=malloc " % config.sanitizer_runtime
# %preload_env runs another Python (a test's virtual environment) as
# %python runs the build's: `%preload_env VENV/bin/python ...`.
config.substitutions.append(("%preload_env", python_prefix.strip() or "env"))
config.substitutions.append(("%torch_python", python_prefix + config.torch_python))
# lit.llvm defines %python first, and that one is used: the scripts it
# runs generate models and check text. One that loads the project's
# libraries (ctypes) runs as `%preload_env %python`.
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(("%mlir_dir", config.mlir_dir))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%readelf", os.path.join(config.llvm_tools_dir, "llvm-readelf")))
# %cxx_link links a program against the project's libraries: a sanitized
# build's need its runtime there (lit substitutes the longer name first).
config.substitutions.append(("%cxx_link", (config.cxx_compiler + " " + config.sanitizer_link_flags).strip()))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%cc", config.c_compiler))

# GPU lowering tests: the project's CUDA runtime was built (a CUDA toolkit
# was found at configure time); ptxas makes the fatbins. No GPU is needed.
if config.cuda_runtime_library:
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%cuda_runtime_dir",
                                 os.path.dirname(config.cuda_runtime_library)))
    config.substitutions.append(("%cuda_runtime", config.cuda_runtime_library))
    config.substitutions.append(("%cuda_driver_stub", os.path.join(
        os.path.dirname(config.cuda_bin_dir), "lib64", "stubs", "libcuda.so")))
    llvm_config.with_environment("PATH", config.cuda_bin_dir, append_path=True)
    # MLIR's NVVM target links libdevice (sqrt, ...) from the toolkit that
    # CUDA_HOME names.
    llvm_config.with_environment("CUDA_HOME",
                                 os.path.dirname(config.cuda_bin_dir))
    # A GPU to run on: tests that execute GPU code need one.
    import shutil
    import subprocess
    smi = shutil.which("nvidia-smi")
    if smi and subprocess.run([smi, "-L"], capture_output=True,
                              text=True).stdout.startswith("GPU"):
        config.available_features.add("cuda-device")
        # PyTorch built with CUDA (Debian's python3-torch is CPU-only), for
        # comparisons with PyTorch CUDA.
        probe = subprocess.run(
            [config.torch_python, "-c",
             "import torch; print(torch.cuda.is_available())"],
            capture_output=True, text=True)
        if probe.stdout.strip() == "True":
            config.available_features.add("torch-cuda")

# The libFuzzer target is built when clang's fuzzer runtime is installed.
if os.path.exists(os.path.join(config.pareprop_tools_dir, "pareprop-opt-fuzzer")):
    config.available_features.add("fuzzer")

tool_dirs = [config.pareprop_tools_dir, config.llvm_tools_dir]
tools = ["pareprop-opt", "pareprop-run", "mlir-opt", "mlir-runner", "mlir-translate", "opt", "llc", "llvm-nm",
         ToolSubst("%unittests", os.path.join(config.pareprop_obj_root, "bin", "PaRepropUnitTests"))]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The Python package's tests (pytest) load the C API built here.
config.environment["PAREPROP_LIBRARY"] = os.path.join(
    config.pareprop_obj_root, "lib", "libPaRepropCAPI.so")
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
config.substitutions.append(("%frontend", os.path.join(config.pareprop_src_root, "python-frontend")))
config.substitutions.append(
    ("%pytest", python_prefix + config.torch_python + " -m pytest -q -p no:cacheprovider"))
config.environment["PAREPROP_IMPORT"] = os.path.join(
    config.pareprop_tools_dir, "pareprop-import")
