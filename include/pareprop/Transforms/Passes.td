#ifndef PAREPROP_TRANSFORMS_PASSES
#define PAREPROP_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def PlanTemporaryBuffers
    : Pass<"pareprop-plan-temporary-buffers", "mlir::func::FuncOp"> {
  let summary = "Free a function's temporaries at their last use and place "
                "them at compile-time offsets in arenas";
  let description = [{
    A buffer that a function allocates in its entry block and frees there
    with one `memref.dealloc` (a temporary) has a lifetime known at compile
    time: from its `memref.alloc` to the last op of the entry block that
    uses its memory (directly, in a nested region, or through a view).
    Ownership-based deallocation frees such buffers at the end of the block,
    so every temporary of a function lives until it returns. This pass
    moves each free to right after the last use, and (option `arenas`)
    places the temporaries at offsets in one arena per run of overlapping
    lifetimes, planned so that buffers live at the same time never share a
    byte and buffers whose lifetimes are disjoint may (greedy by size, see
    `pareprop/Analysis/BufferPlan.h`). An arena is allocated where the first
    of its buffers was and freed after the last use of the last of them;
    its buffers become `memref.view` ops of it.

    ```mlir
    %a = memref.alloc() : memref<4x196x192xf32>
    memref.copy %in, %a : ...                       // last use of %a
    %b = memref.alloc() : memref<4x196x384xf32>
    ... uses of %b ...
    memref.dealloc %a : memref<4x196x192xf32>
    memref.dealloc %b : memref<4x196x384xf32>
    return
    ```

    becomes, with `arenas=false`, `%a` freed right after the copy, and with
    `arenas` (`%a` and `%b` never live together, so they share bytes)

    ```mlir
    %arena = memref.alloc() {alignment = 64 : i64} : memref<1204224xi8>
    %a = memref.view %arena[%c0][] : memref<1204224xi8> to memref<4x196x192xf32>
    memref.copy %in, %a : ...
    %b = memref.view %arena[%c0][] : memref<1204224xi8> to memref<4x196x384xf32>
    ... uses of %b ...
    memref.dealloc %arena : memref<1204224xi8>
    return
    ```

    A temporary qualifies when every use of its memory comes before its one
    free and its memory does not escape: not yielded or returned from a
    region, not taken by an op other than a view, cast or call, and its
    address not taken with `memref.extract_aligned_pointer_as_index` (the
    run-time alias checks of ownership-based deallocation compare
    addresses). Buffers freed conditionally, returned, or allocated in loops
    are left as they are. A buffer goes into an arena when it also has a
    static shape, the identity layout, the default memory space, a scalar
    element type and an alignment no larger than `alignment`; a call to a
    function with a body (which may allocate for itself) splits the entry
    block into segments, planned separately, so that an arena is never held
    across such a call; a buffer live across one is only freed early.
    Functions containing `async` operations are left alone: their bodies
    run later than their position says.

    Arenas take one allocation per run instead of one per buffer, but an
    arena holds its largest layout until its last buffer dies, which other
    allocations (the function's results) cannot reuse: on the CPU the
    `rev-to-llvm` pipeline frees at last use without arenas
    (`buffer-arenas=false`; see docs/benchmarks.md).

    Run it after bufferization, ownership-based deallocation and the
    lowering of `bufferization.dealloc`, before the kernels are lowered to
    loops and before `pareprop-split-kernels-across-threads`.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every buffer in an arena (a power of two; at "
           "least a cache line keeps vector loads aligned)">,
    Option<"arenas", "arenas", "bool", /*default=*/"true",
           "Pack temporaries into arenas; false: only free each at its last "
           "use">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def SplitLinalgReductions
    : Pass<"pareprop-split-linalg-reductions", "mlir::func::FuncOp"> {
  let summary = "Split reductions on buffers into independent partial "
                "reductions and a combine, as parallel loops";
  let description = [{
    A reduction `linalg.generic` lowered one thread per output runs as many
    GPU threads as it has outputs, each over the whole reduced range: the
    bias gradient of a 768-wide layer is 768 threads on a GPU that holds
    270 000 at once, a loss is one, and a row statistic read one row per
    thread touches one address per thread and cache line. This pass gives
    each output S partial reductions, over the strided slices s, s + S,
    s + 2S, ... of its reduced range (linearized, the last reduction loop
    fastest), each from the combining op's neutral element into a temporary
    buffer, then combines the output's initial value with its S partials in
    order of s. Both are `scf.parallel` loops whose iterations are
    independent, for `convert-rev-to-gpu` to run one thread per iteration;
    the loop dimensions are ordered so that consecutive iterations read
    consecutive elements of the largest input (the slice fastest when the
    reduction runs along its last dimension, the outputs fastest when it
    runs across it). S is the smallest count that brings outputs * S to
    `target-threads`, bounded by `min-per-thread` elements per slice and by
    1024; with S = 1 (enough outputs) a single loop per output carries the
    accumulator in a register instead of reloading the output. A
    `linalg.fill` of the output right before the reduction is dropped: its
    value is where every output's reduction starts.

    ```mlir
    // Column sums: out[j] += sum_i in[i, j] over 1576 rows, 768 outputs.
    linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                     affine_map<(i, j) -> (j)>],
                    iterator_types = ["reduction", "parallel"]}
        ins(%in : memref<1576x768xf32>) outs(%out : memref<768xf32>) {
    ^bb0(%x: f32, %acc: f32):
      %s = arith.addf %acc, %x : f32
      linalg.yield %s : f32
    }
    ```

    becomes, with 65536 target threads (S = 86),

    ```mlir
    %partial = memref.alloc() : memref<86x768xf32>
    scf.parallel (%s, %j) = (%c0, %c0) to (%c86, %c768) step (%c1, %c1) {
      %p = scf.for %k = %s to %c1576 step %c86 iter_args(%a = %zero) -> (f32) {
        %x = memref.load %in[%k, %j] : memref<1576x768xf32>
        %n = arith.addf %a, %x : f32
        scf.yield %n : f32
      }
      memref.store %p, %partial[%s, %j] : memref<86x768xf32>
    }
    scf.parallel (%j) = (%c0) to (%c768) step (%c1) {
      %o = memref.load %out[%j] : memref<768xf32>
      %r = scf.for %s = %c0 to %c86 step %c1 iter_args(%a = %o) -> (f32) {
        %p = memref.load %partial[%s, %j] : memref<86x768xf32>
        %n = arith.addf %a, %p : f32
        scf.yield %n : f32
      }
      memref.store %r, %out[%j] : memref<768xf32>
    }
    memref.dealloc %partial : memref<86x768xf32>
    ```

    Floating-point results differ from the sequential order only by
    rounding (the reduction is reassociated); they do not depend on how
    the iterations are scheduled. The temporary holds at most about twice
    `target-threads` elements.

    A reduction qualifies when it is on buffers with static loop bounds, has
    one output indexed by parallel loops alone that no input is, and a
    payload `yield combine(out, term)` where `out` is used only by the
    combining op, an arith add, mul, min, max, and, or or xor with a
    neutral element. Others are left as they are.
  }];
  let options = [
    Option<"targetThreads", "target-threads", "int64_t", /*default=*/"65536",
           "Iterations (GPU threads) to aim for: outputs times slices">,
    Option<"minPerThread", "min-per-thread", "int64_t", /*default=*/"16",
           "Fewest elements of the reduced range in one slice">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

#endif
