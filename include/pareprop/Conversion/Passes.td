#ifndef PAREPROP_CONVERSION_PASSES
#define PAREPROP_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertATenToNN : Pass<"convert-aten-to-nn", "mlir::ModuleOp"> {
  let summary = "Lower PyTorch operator calls (aten.call) to nn ops";
  let description = [{
    The one lowering of torch operators to `nn`, shared by the torch.fx
    exporter and the TorchScript importer, which both write `aten.call`s
    (see the aten dialect). One table maps each supported operator name to
    its lowering (`lib/Conversion/ATenToNN/ATenToNN.cpp`); the calls of a
    function are lowered in order, each from its named operands, its `args`
    and the result types the frontend recorded. A call of an operator not in
    the table, or with arguments its entry does not support, is an error at
    the call's location (the module path and operator the frontend gave);
    no call is left behind.

    Beyond one call at a time: `zeros_like` is no value of its own but the
    zero base of a `masked_fill` or `baddbmm` that reads it (an additive
    attention mask, a product without addend); a transpose of the last two
    dimensions read only by a `matmul` becomes the product's
    `transpose_rhs`; dropout calls are numbered in order per function (their
    `id`); and where an embedding's indices or a loss's labels are arguments
    of a public function, the argument gets `rev.index_bound` (rows of the
    table, number of classes), which `rev-add-index-checks` checks.
  }];
  let dependentDialects = ["pareprop::nn::NNDialect",
                           "pareprop::rev::RevDialect"];
}

def ConvertNNToLinalg : Pass<"convert-nn-to-linalg"> {
  let summary = "Lower nn ops to linalg on tensors";
  let description = [{
    Every `nn` op becomes a `linalg.generic` (a matmul with its transposes
    folded into the indexing maps, broadcasting through indexing maps,
    reductions with reduction iterators) over `tensor.empty` / `linalg.fill`
    destinations, with `arith` and `math` scalar bodies. Slices are
    `tensor.extract_slice`s (views once bufferized); `nn.concat` and
    `nn.slice_grad` insert their pieces with `tensor.insert_slice`;
    `nn.embedding` reads its table with `tensor.extract` in the loop body and
    `nn.embedding_grad` is an `scf.for` nest over the ids that adds one row
    each (repeated ids accumulate in order).

    With `row-kernels` (the default), `nn.layer_norm` and `nn.softmax` are
    row kernels instead: an `scf.forall` over the rows (the leading
    dimensions collapsed into one) whose body runs every pass over one row
    (`scf.for` loops: the statistics as loop-carried scalars, the result
    written into the row's slice of the output), so a row is read from
    memory once and no temporary holds the maxima, exponentials or squared
    deviations. Without it, each pass is its own `linalg.generic` over the
    whole tensor.
  }];
  let options = [
    Option<"rowKernels", "row-kernels", "bool", /*default=*/"true",
           "Lower layer_norm and softmax to one scf.forall over rows that "
           "makes every pass over a row while it is in cache (false: one "
           "linalg.generic per pass)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def FuseElementwiseKernels : Pass<"pareprop-fuse-elementwise-kernels"> {
  let summary = "Fuse chains of elementwise linalg ops on tensors into one "
                "kernel, leaving matrix products whole";
  let description = [{
    `convert-nn-to-linalg` gives every `nn` op its own `linalg.generic`, so
    a chain such as `scale -> softmax's exp(x - max)` or the GELU gradient's
    arithmetic writes and re-reads one temporary per op. This pass fuses an
    all-parallel generic into the generic that consumes it (upstream
    linalg's elementwise fusion) when:

    * the producer's result has no other use (fusing a value that others
      also read would compute it twice);
    * the consumer reads it through a permutation of its loops (no
      broadcast, which would recompute the producer per broadcast element);
    * neither op is a matrix product tagged `nn.contraction` (those
      become calls of the runtime's BLAS-backed GEMM, which a fused body
      would turn back into a loop nest): the bias broadcast a linear starts
      from, and the transposes its operands go through, stay separate.

    Reductions count as consumers: a row's `exp(x - max)` is summed in the
    loop that computes it. Results no one reads and inputs the body does not
    use are dropped afterwards.

    Run it after `convert-nn-to-linalg`, on tensors (before bufferization).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def RevOutlineTasks : Pass<"rev-outline-tasks", "mlir::ModuleOp"> {
  let summary = "Outline the body of every rev.task of a scheduled step into "
                "a kernel function";
  let description = [{
    The first of the shared stages that lower a scheduled step for every
    backend (`rev-tasks-to-buffers` runs them in order; see docs/design.md).
    In every function holding `rev.task`s, the body of the i-th task of step
    `@S` moves into a private function `@S_task<i>` whose arguments are the
    values the body reads from above (tensors and scalars; constants are
    cloned in) and which returns what the task yields; the task is left
    holding one `func.call`. Kernel arguments are marked read-only for
    One-Shot Bufferize. A task that yields one value twice (CSE merged two
    identical ops) first gets one result for it, so that every task result
    has one buffer and one owner.

    ```mlir
    %t0, %b = rev.task stream 0 {
      %0 = linalg.generic ... ins(%a) ...
      rev.yield %0 : tensor<4xf32>
    } -> tensor<4xf32>
    ```

    becomes

    ```mlir
    func.func private @step_task0(%a: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32>
    ...
    %t0, %b = rev.task stream 0 {
      %0 = func.call @step_task0(%a) : (tensor<4xf32>) -> tensor<4xf32>
      rev.yield %0 : tensor<4xf32>
    } -> tensor<4xf32>
    ```

    Couplings and `nn` ops must be lowered first (`rev-expand-couplings`,
    `convert-nn-to-linalg`); one left over is reported.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def RevBufferizeTasks : Pass<"rev-bufferize-tasks", "mlir::ModuleOp"> {
  let summary = "Bufferize the task kernels and rebuild scheduled steps on "
                "buffers, every task result freed where the schedule allows";
  let description = [{
    After `rev-outline-tasks`:

    1. every function of the module but the scheduled steps (the task
       kernels, the coupling functions they call, the model's own functions)
       goes through One-Shot Bufferize across function boundaries with
       identity layouts, then ownership-based deallocation (kernels return
       buffers their caller owns) and the lowering of `bufferization.clone`.
       With `inline-calls` (the GPU's choice), every call from a task kernel
       to another function of the module is inlined first, so that each
       kernel is one function whose buffers' owners are known at compile
       time. A buffer of at most `max-stack-buffer-bytes` that a function
       allocates in its entry block and frees in the same block (small
       temporaries, the deallocation's run-time ownership arrays) becomes a
       `memref.alloca`, freed with the frame (the CPU's choice; 0 keeps
       every buffer on the heap, as device memory must be);
    2. each scheduled step is rebuilt with buffer arguments and results.
       Every `rev.task` keeps its stream, kind, block and `after` tokens and
       calls its bufferized kernel on buffers; its results are buffers. Each
       task result that no code outside the tasks reads is freed
       (`memref.dealloc`) inside the first task that runs after all of its
       readers, after the call (the producing task itself when no task
       reads it), or after the final `rev.await`s when no task does
       (`pareprop/Analysis/TaskOrder.h`): the schedule's memory bound holds
       on every backend. A splat constant the step returns gets a buffer and
       a `linalg.fill`; other constants were cloned into the kernels.

    ```mlir
    func.func @step(%a: memref<4xf32>) -> memref<4xf32> {
      %t0, %b = rev.task stream 0 {
        %0 = func.call @step_task0(%a) : (memref<4xf32>) -> memref<4xf32>
        rev.yield %0 : memref<4xf32>
      } -> memref<4xf32>
      %t1, %c = rev.task stream 0 {
        %0 = func.call @step_task1(%b) : (memref<4xf32>) -> memref<4xf32>
        memref.dealloc %b : memref<4xf32>
        rev.yield %0 : memref<4xf32>
      } -> memref<4xf32>
      rev.await %t1
      return %c : memref<4xf32>
    }
    ```

    This is the form the memref-level shared stages
    (`pareprop-contractions-to-runtime`, `pareprop-plan-temporary-buffers`,
    `pareprop-split-linalg-reductions`) work on and every backend starts from;
    `rev-verify-buffer-step` states it.
  }];
  let options = [
    Option<"inlineCalls", "inline-calls", "bool", /*default=*/"false",
           "Inline every call from a task kernel before bufferizing">,
    Option<"maxStackBufferBytes", "max-stack-buffer-bytes", "int64_t",
           /*default=*/"4096",
           "Largest function-scoped buffer put on the stack (0: none)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::func::FuncDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect"];
}

def RevVerifyBufferStep : Pass<"rev-verify-buffer-step", "mlir::ModuleOp"> {
  let summary = "Check that scheduled steps are in the form every backend "
                "starts from";
  let description = [{
    The contract between the shared stages of the lowering and a backend
    (`convert-rev-to-async`, `convert-rev-to-gpu`, the MPI rank backend to
    come), which each backend also checks itself:

    * no `rev.block`, `rev.recompute`, `rev.grad` or `nn` op is left;
    * every scheduled step has buffer (or scalar) arguments and results, and
      its entry block holds only `rev.task`s, `rev.await`s, the buffers and
      fills of returned constants (`memref.alloc`, `linalg.fill`, constants),
      frees of task results (`memref.dealloc`) and the `func.return`;
    * every task's body is one `func.call` of a function of the module whose
      arguments and results are buffers or scalars, then frees, then the
      `rev.yield` of the call's results;
    * a call in a kernel whose first operand is a `!gpu.async.token` (a
      stream-ordered library call, such as cuBLAS products) takes it from a
      `gpu.wait async` without dependencies, which the GPU backend replaces
      by the task's stream.

    The first violation is reported at the op. The pass changes nothing.
  }];
}

def ConvertRevToAsync : Pass<"convert-rev-to-async", "mlir::ModuleOp"> {
  let summary = "CPU backend: map the tasks of scheduled steps on buffers to "
                "the async runtime";
  let description = [{
    Starts from steps on buffers (`rev-tasks-to-buffers`; the form
    `rev-verify-buffer-step` states, which this pass checks). Each step is
    rebuilt with one `async.execute` per task: it depends on the previous
    task of its stream and on the task's `after` tokens, takes other tasks'
    results as `!async.value`s, calls the task's kernel and frees what the
    task frees. Code outside the tasks awaits what it uses: the results the
    step returns, then the buffers freed after the final awaits.

    With `trace-tasks`, each task's body is bracketed by calls to
    `pareprop_trace_begin(i64)` and `pareprop_trace_end(i64)` with the task's
    index in its step (the runtime library records them; `pareprop-run`
    turns the records into a measured timeline).
  }];
  let options = [
    Option<"traceTasks", "trace-tasks", "bool", /*default=*/"false",
           "Record each task's start and end through the runtime's "
           "pareprop_trace_begin/end">,
    Option<"kernelThreads", "kernel-threads", "bool", /*default=*/"false",
           "Start each task with pareprop_kernel_threads(exclusive): a task "
           "no other stream's task can overlap (a forward task, or any task "
           "of a one-stream schedule) lets the runtime's kernels share "
           "large products with a second thread, the others use one">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::async::AsyncDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::func::FuncDialect"];
}

def ConvertRevToGPU : Pass<"convert-rev-to-gpu", "mlir::ModuleOp"> {
  let summary = "GPU backend: map the tasks of scheduled steps on buffers to "
                "GPU kernels on CUDA streams (one chain of !gpu.async.token "
                "per schedule stream)";
  let description = [{
    Starts from steps on buffers whose kernels have every call inlined
    (`rev-tasks-to-buffers{target=gpu}`; the form `rev-verify-buffer-step`
    states, which this pass checks). For every step:

    1. the step is flattened: each task's kernel body is inlined in program
       order, the frees of other tasks' results it holds first (on its
       stream, after the joins), its own results' frees after;
    2. every op that touches memory becomes GPU work on its task's stream:
       allocations and frees are `gpu.alloc async` / `gpu.dealloc async`
       (stream-ordered), contiguous copies `gpu.memcpy async`, a library
       call whose first operand is a `!gpu.async.token` (the cuBLAS products
       `pareprop-contractions-to-runtime{library=cublas}` made) gets the
       stream's token instead of its placeholder, and every other loop nest
       (linalg ops, row kernels, split reductions, loops) a
       `gpu.launch async`: one thread per iteration of its parallel loops
       (linearized, `threads-per-block` per block). A reduction left whole
       runs sequentially in the thread of its output; a nest without
       parallel loops is one thread.

    Streams: each schedule stream starts as a `gpu.wait async` followed by
    a zero-byte `gpu.alloc async` (so that no canonicalization can take it
    for an empty stream and merge it into another), and its work is one
    chain of tokens. A task with `after` tokens starts with a join,
    `gpu.wait async [own, others...]`, which `gpu-to-llvm` lowers to an event
    recorded on each stream and a stream that waits for them; the join
    continues the stream's chain. At the end, everything is joined, the
    step's leftover buffers are freed, and one `gpu.wait` synchronizes and
    destroys every stream the step used. No token crosses a function
    boundary or a region (MLIR 22.1.8's `gpu-to-llvm` loses events there;
    docs/design.md lists the upstream issues), no GPU op has more than one
    dependency, and all allocations are async.

    The step's arguments and results are device memory; host code reads
    none of it. `gpu-kernel-outlining` and the NVVM pipeline come after (the
    `rev-to-gpu` pipeline does all of it).
  }];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "unsigned",
           /*default=*/"256",
           "Threads per block of the generated kernels (a multiple of 32, "
           "at most 1024)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def AddGpuBenchmarkEntry
    : Pass<"pareprop-add-gpu-benchmark-entry", "mlir::ModuleOp"> {
  let summary = "Add an entry point that benchmarks a GPU training step on "
                "random data";
  let description = [{
    After `convert-rev-to-gpu`, adds

    ```mlir
    func.func @pareprop_benchmark(%steps: i64, %warmup: i64) -> i32
    ```

    which allocates the step's arguments on the device and fills them with
    deterministic random values (a kernel: splitmix64 of the seed, the
    argument and the element; floats uniform in [-s, s] with s = 1/sqrt(rows)
    for rank >= 2 and 0.5 otherwise, integers in [0, rev.index_bound), i64
    scalars the seed), runs `warmup` steps, times `steps` steps on the host
    clock (each step synchronizes before it returns), runs one more step
    whose loss and gradients it sums, and prints step time, throughput
    (images per step / step time), the device memory pool's peak and the
    sums through the runtime's `pareprop_cuda_report`. Every step's results
    are freed after it. The runtime's `pareprop_cuda_main` object provides a
    `main` that parses `--steps` and `--warmup` and calls it.

    The entry also hands the filled inputs, and the last step's results, to
    the runtime's `pareprop_cuda_dump_<type>` (after the gradients'
    arguments from the step's `rev.grad_args`): an executable run with
    `--dump FILE` writes them in `pareprop-run --dump`'s format, so that
    `pareprop-run --compare-dump FILE` checks the GPU's loss and gradients
    against the CPU build on the same inputs. Elements other than f32, f64,
    i32 and i64 are not dumped.
  }];
  let options = [
    Option<"func", "func", "std::string", /*default=*/"\"\"",
           "Step to benchmark (default: the function marked "
           "rev.training_step)">,
    Option<"images", "images", "int64_t", /*default=*/"0",
           "Images (samples) per step for the throughput (0: the leading "
           "dimension of the step's first argument)">,
    Option<"seed", "seed", "int64_t", /*default=*/"1",
           "Seed of the random inputs">,
    Option<"threadsPerBlock", "threads-per-block", "unsigned",
           /*default=*/"256", "Threads per block of the fill kernels">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def MergeGpuKernelModules
    : Pass<"pareprop-merge-gpu-kernel-modules", "mlir::ModuleOp"> {
  let summary = "Move outlined kernels into one gpu.module, one copy of each "
                "distinct kernel";
  let description = [{
    `gpu-kernel-outlining` gives every `gpu.launch` a `gpu.module` of its
    own, and a reversible stack repeats the same kernels once per block (they
    differ only in the buffers and sizes they are passed). Each module
    becomes its own binary: one `ptxas` run when compiling and one module
    load when the executable starts, per launch (1304 for RevViT-B).

    This pass moves the kernels of every plain `gpu.module` (only `gpu.func`
    ops, no attributes but its name, no symbol references in the kernels, no
    uses but `gpu.launch_func`) into one module, `@pareprop_kernels`, keeps
    one copy of kernels that print the same (generic form, names aside: the
    same body, types and attributes, launch bounds included) and points
    every `gpu.launch_func` at the copy it keeps. Other modules are left as
    they are. The `rev-to-gpu` pipeline runs it right after outlining.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def ConvertContractionsToRuntime
    : Pass<"pareprop-contractions-to-runtime", "mlir::ModuleOp"> {
  let summary = "Call the target's GEMM library (CBLAS or cuBLAS) for matrix "
                "products on buffers";
  let description = [{
    Replaces each `linalg.generic` on memrefs that `convert-nn-to-linalg`
    tagged `nn.contraction` (the products of `nn.matmul` and
    `nn.linear`: `C[b..., m, n] += op(A)[b..., m, k] op(B)[b..., k, n]`,
    an operand of rank 2 shared by every batch element) by a call of the
    runtime library's GEMM entry for `library` on unranked memrefs:

    * `cblas` (CPU): `pareprop_contract_f32` / `pareprop_contract_f64(A, B,
      C, flags)`, one GEMM per batch element through CBLAS (OpenBLAS) when
      the strides allow it, a loop nest otherwise;
    * `cublas` (GPU): `pareprop_cuda_contract_f32` / `_f64(stream, A, B, C,
      flags)`, enqueued on a stream: the call's first operand is a
      `!gpu.async.token` from a `gpu.wait async` placeholder, which
      `convert-rev-to-gpu` replaces by the token of the task's stream. Only
      the functions the tasks of scheduled steps call get them (the code
      that runs on a stream); products in other functions stay loops.
      `gemm-math` sets the arithmetic of f32 products (flag bits 8: TF32,
      16: BF16 tensor cores).

    C keeps what it held (the broadcast bias of a linear), so the call
    accumulates like the generic. When the op right before the product is a
    `linalg.fill` of zeros into the same output (what a product without bias
    starts from), the fill is dropped and the call overwrites C instead
    (flag bit 2, BLAS beta = 0): one pass over C less.

    Run it on the steps on buffers (after `rev-bufferize-tasks`, as
    `rev-tasks-to-buffers` does) and before the loops are lowered. Untagged
    generics and tagged ones still on tensors are left alone.
  }];
  let options = [
    Option<"library", "library", "pareprop::GemmLibrary",
           /*default=*/"pareprop::GemmLibrary::CBlas",
           "GEMM library the products call", [{::llvm::cl::values(
             clEnumValN(pareprop::GemmLibrary::CBlas, "cblas",
                        "the runtime's CBLAS entry (CPU)"),
             clEnumValN(pareprop::GemmLibrary::CuBlas, "cublas",
                        "the runtime's cuBLAS entry on a stream (GPU)"))}]>,
    Option<"gemmMath", "gemm-math", "pareprop::GemmMath",
           /*default=*/"pareprop::GemmMath::F32",
           "Arithmetic of the products of f32 tensors (cublas only)",
           [{::llvm::cl::values(
             clEnumValN(pareprop::GemmMath::F32, "f32", "exact f32"),
             clEnumValN(pareprop::GemmMath::TF32, "tf32",
                        "TF32 tensor cores (operands rounded to tf32, "
                        "f32 accumulation)"),
             clEnumValN(pareprop::GemmMath::BF16, "bf16",
                        "BF16 tensor cores (operands rounded to bf16, "
                        "f32 accumulation)"))}]>,
  ];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def ConvertMathToPolynomials : Pass<"pareprop-math-to-polynomials"> {
  let summary = "Expand f32 transcendental functions into polynomials the "
                "loop vectorizer can vectorize";
  let description = [{
    A `math.exp`, `math.erf` or `math.tanh` left as a call into libm keeps
    the loop around it scalar (one call per element). This pass rewrites
    the f32 ones (scalar or vector) into upstream math's polynomial
    approximations: plain `arith` with a few bit tricks, accurate to a few
    ulp, which LLVM vectorizes with the rest of the loop body. f64 math and
    the functions not listed stay as they are (libm, or LLVM intrinsics).
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Math ops to expand, by mnemonic (default: exp, erf, tanh, "
               "log, log1p, expm1)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def SplitKernelsAcrossThreads
    : Pass<"pareprop-split-kernels-across-threads", "mlir::ModuleOp"> {
  let summary = "Let a task that runs alone run half of each large loop "
                "kernel on the runtime's helper thread";
  let description = [{
    A task that no other stream's task can overlap (a forward task, or any
    task of a one-stream schedule) leaves the second core idle while its
    loop kernels run. This pass cuts each large `linalg.generic` on memrefs
    in two along a parallel loop and guards the halves with a run-time
    check:

    ```mlir
    %split = func.call @pareprop_split_kernel_begin() : () -> i1
    scf.if %split {
      %done = async.execute { linalg.generic ... second half ... }
      linalg.generic ... first half ...
      async.await %done : !async.token
    } else {
      linalg.generic ... first half ...
      func.call @split_kernel_half(...)   // the second half
    }
    ```

    `pareprop_split_kernel_begin` (runtime library) is true only in a task
    that runs alone (`pareprop_kernel_threads(1)`, see
    `convert-rev-to-async{kernel-threads}`) on a machine with a second
    core; the `async.execute` it is followed by then runs on the runtime's
    helper thread, which runs nothing but kernel halves, so the wait always
    ends. Tasks that may overlap another stream run both halves
    themselves, as do the coupling functions they share with the forward:
    the same code either way, so a step's results are bitwise the same
    with the helper or without it (LLVM may vectorize the sums of a whole
    loop in another order than those of its halves).

    A generic is cut along its first parallel loop of two or more
    iterations that every output indexes by a plain dimension and every
    input either indexes the same way or does not use; generics that read
    `linalg.index`, have dynamic loop ranges, run fewer than
    `min-iterations` iterations, or sit directly in an `async.execute`
    body are left whole.

    A row kernel (an `scf.forall` on buffers, as `convert-nn-to-linalg`
    makes layer_norm and softmax) is cut along its first dimension of two
    or more iterations; the helper's half is a function taking the values
    its body reads from above. Its work is its iterations times the summed
    trip counts of the `scf.for` loops directly in its body; row kernels
    with results (on tensors), dynamic bounds or less work than
    `min-iterations` are left whole.

    Run it after bufferization and `pareprop-contractions-to-runtime` (the
    matrix products split in the runtime), before `scf-forall-to-for`,
    `convert-linalg-to-loops` and `async-to-async-runtime`.
  }];
  let options = [
    Option<"minIterations", "min-iterations", "int64_t", /*default=*/"65536",
           "Smallest kernel (loop iterations, all loops) worth cutting: "
           "handing a half to the helper costs a few microseconds">,
  ];
  let dependentDialects = ["mlir::async::AsyncDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

#endif
