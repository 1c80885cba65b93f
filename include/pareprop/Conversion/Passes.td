#ifndef PAREPROP_CONVERSION_PASSES
#define PAREPROP_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

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

def FuseElementwiseKernels : Pass<"fuse-elementwise-kernels"> {
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
    * neither op is a matrix product tagged `pareprop.contraction` (those
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

def ConvertRevToAsync : Pass<"convert-rev-to-async", "mlir::ModuleOp"> {
  let summary = "Lower scheduled training steps to the async dialect on buffers";
  let description = [{
    For every function holding `rev.task`s:

    1. each task body is outlined into a private kernel function;
    2. every function of the module except the scheduled steps is bufferized
       (One-Shot Bufferize across function boundaries, identity layouts,
       arguments read-only) and gets ownership-based deallocation; buffers
       of at most 4 KiB that a function allocates in its entry block and
       frees in the same block (small temporaries, the deallocation's
       run-time ownership arrays) become `memref.alloca`s;
    3. the step is rebuilt on memrefs: each task becomes an `async.execute`
       calling its kernel, depending on the previous task of its stream and
       on its `after` tokens, with the task results as `!async.value`s;
    4. each intermediate buffer is freed inside the first task that runs
       after all of its readers (or after the final awaits), so a schedule's
       memory bound holds at run time.

    With `trace-tasks`, each task's body is bracketed by calls to
    `pareprop_trace_begin(i64)` and `pareprop_trace_end(i64)` with the task's
    index in its step (the runtime library records them; `pareprop-run`
    turns the records into a measured timeline).

    Run `convert-nn-to-linalg` and `rev-expand-couplings` first.
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
  let summary = "Lower scheduled training steps to GPU kernels on CUDA "
                "streams (one chain of !gpu.async.token per schedule stream)";
  let description = [{
    For every function holding `rev.task`s:

    1. each task body is outlined into a kernel function, every call in it
       is inlined, and the kernels are bufferized (One-Shot Bufferize,
       ownership-based deallocation, temporaries freed at their last use);
    2. the step is rebuilt on memrefs with the kernels' bodies in program
       order, and each task result is freed at the start of the first task
       that runs after all its readers (`pareprop/Analysis/TaskOrder.h`);
    3. every op that touches memory becomes GPU work on its task's stream:
       allocations and frees are `gpu.alloc async` / `gpu.dealloc async`
       (stream-ordered), contiguous copies `gpu.memcpy async`, matrix
       products (`pareprop.contraction`) calls of the runtime's cuBLAS
       entry point `pareprop_cuda_contract_f32/f64`, which take the
       stream's token, and every other loop nest (linalg ops, row kernels,
       loops) a `gpu.launch async`: one thread per iteration of its
       parallel loops (linearized, `threads-per-block` per block).
       Reductions are split first (`split-linalg-reductions` with
       `reduction-threads` as its target): partial reductions over strided
       slices of the reduced range, one thread each, into a temporary
       allocated on the stream, then a combine, one thread per output, so
       that a bias gradient or a loss fills the GPU instead of running on a
       few hundred threads or one. Reductions that do not qualify (and all
       of them with `reduction-threads=0`) run sequentially in the thread
       of their output; a nest without parallel loops is one thread.

    Streams: each schedule stream starts as a `gpu.wait async` followed by
    a zero-byte `gpu.alloc async` (so that no canonicalization can take it
    for an empty stream and merge it into another), and its work is one
    chain of tokens. A task with `after` tokens starts with a join,
    `gpu.wait async [own, others...]`, which `gpu-to-llvm` lowers to an event
    recorded on each stream and a stream that waits for them; the join
    continues the stream's chain. At the end, everything is joined, the
    step's leftover buffers are freed, and one `gpu.wait` synchronizes and
    destroys every stream the step used. No token crosses a function
    boundary or a region (MLIR 22.1.8's `gpu-to-llvm` loses events there),
    no GPU op has more than one dependency, and all allocations are async.

    The step's arguments and results are device memory; host code reads
    none of it. Run `rev-expand-couplings`, `convert-nn-to-linalg` and
    (optionally) `fuse-elementwise-kernels` first; `gpu-kernel-outlining`
    and the NVVM pipeline after (the `rev-to-gpu` pipeline does all of it).
  }];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "unsigned",
           /*default=*/"256",
           "Threads per block of the generated kernels (a multiple of 32, "
           "at most 1024)">,
    Option<"gemmMath", "gemm-math", "std::string", /*default=*/"\"f32\"",
           "Arithmetic of the cuBLAS products of f32 tensors: 'f32' (exact "
           "f32, the default), 'tf32' or 'bf16' (tensor cores; the operands "
           "are rounded to tf32 or bf16, products accumulate in f32; "
           "tensors stay f32)">,
    Option<"reductionThreads", "reduction-threads", "int64_t",
           /*default=*/"65536",
           "Threads to aim for in a reduction kernel: outputs times partial "
           "reductions (see split-linalg-reductions; the default is a "
           "quarter of what an H100 holds at once; 0: one thread per "
           "output, the reduction sequential in it)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::func::FuncDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def AddGpuBenchmarkEntry
    : Pass<"add-gpu-benchmark-entry", "mlir::ModuleOp"> {
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
    : Pass<"merge-gpu-kernel-modules", "mlir::ModuleOp"> {
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
    : Pass<"convert-contractions-to-runtime", "mlir::ModuleOp"> {
  let summary = "Call the runtime's BLAS-backed GEMM for matrix products on buffers";
  let description = [{
    Replaces each `linalg.generic` on memrefs that `convert-nn-to-linalg`
    tagged `pareprop.contraction` (the products of `nn.matmul` and
    `nn.linear`: `C[b..., m, n] += op(A)[b..., m, k] op(B)[b..., k, n]`,
    an operand of rank 2 shared by every batch element) by a call to
    `pareprop_contract_f32` / `pareprop_contract_f64(A, B, C, flags)` of
    the runtime library on unranked memrefs. The runtime issues one GEMM per
    batch element through CBLAS (OpenBLAS) when the strides allow it and
    runs a loop nest otherwise; C keeps what it held (the broadcast bias of
    a linear), so the call accumulates like the generic. When the op right
    before the product is a `linalg.fill` of zeros into the same output
    (what a product without bias starts from), the fill is dropped and the
    call overwrites C instead (flag bit 2, BLAS beta = 0): one pass over C
    less.

    Run it after bufferization (after `convert-rev-to-async`) and before
    `convert-linalg-to-loops`. Untagged generics and tagged ones still on
    tensors are left alone.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def ConvertMathToPolynomials : Pass<"convert-math-to-polynomials"> {
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
    : Pass<"split-kernels-across-threads", "mlir::ModuleOp"> {
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

    Run it after bufferization and `convert-contractions-to-runtime` (the
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
