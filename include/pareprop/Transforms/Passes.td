#ifndef PAREPROP_TRANSFORMS_PASSES
#define PAREPROP_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def PlanTemporaryBuffers
    : Pass<"plan-temporary-buffers", "mlir::func::FuncOp"> {
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
    loops and before `split-kernels-across-threads`.
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

#endif
