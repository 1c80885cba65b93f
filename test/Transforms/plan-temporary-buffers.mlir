// RUN: pareprop-opt %s -split-input-file -pareprop-plan-temporary-buffers | FileCheck %s
// RUN: pareprop-opt %s -split-input-file -pareprop-plan-temporary-buffers="arenas=false" | FileCheck %s --check-prefix=FREE
// RUN: pareprop-opt %s -split-input-file -pareprop-plan-temporary-buffers="alignment=256" | FileCheck %s --check-prefix=ALIGN

// Ownership-based deallocation frees at the end of the block. %a is dead
// after its copy, before %b is made: freed there; in an arena (%long keeps
// the three in one run of overlapping lifetimes) the two share bytes.
// CHECK-LABEL: func.func @chain
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1088xi8>
// CHECK:         %[[LONG:.*]] = memref.view %[[ARENA]][%c1024{{.*}}][] : memref<1088xi8> to memref<16xf32>
// CHECK:         memref.copy %arg1, %[[LONG]]
// CHECK:         %[[A:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<1088xi8> to memref<16x16xf32>
// CHECK:         memref.copy %arg0, %[[A]]
// CHECK:         %[[B:.*]] = memref.view %[[ARENA]][%c0{{.*}}][] : memref<1088xi8> to memref<16x16xf32>
// CHECK:         memref.copy %arg0, %[[B]]
// CHECK-NEXT:    memref.copy %[[LONG]], %arg1
// CHECK-NEXT:    memref.dealloc %[[ARENA]] : memref<1088xi8>
// CHECK-NEXT:    return
// CHECK-NOT:   memref.dealloc
// FREE-LABEL: func.func @chain
// FREE:         %[[LONG:.*]] = memref.alloc() : memref<16xf32>
// FREE-NEXT:    memref.copy %arg1, %[[LONG]]
// FREE-NEXT:    %[[A:.*]] = memref.alloc() : memref<16x16xf32>
// FREE-NEXT:    memref.copy %arg0, %[[A]]
// FREE-NEXT:    memref.dealloc %[[A]]
// FREE-NEXT:    %[[B:.*]] = memref.alloc() : memref<16x16xf32>
// FREE-NEXT:    memref.copy %arg0, %[[B]]
// FREE-NEXT:    memref.dealloc %[[B]]
// FREE-NEXT:    memref.copy %[[LONG]], %arg1
// FREE-NEXT:    memref.dealloc %[[LONG]]
// FREE-NEXT:    return
func.func @chain(%in: memref<16x16xf32>, %v: memref<16xf32>) {
  %long = memref.alloc() : memref<16xf32>
  memref.copy %v, %long : memref<16xf32> to memref<16xf32>
  %a = memref.alloc() : memref<16x16xf32>
  memref.copy %in, %a : memref<16x16xf32> to memref<16x16xf32>
  %b = memref.alloc() : memref<16x16xf32>
  memref.copy %in, %b : memref<16x16xf32> to memref<16x16xf32>
  memref.copy %long, %v : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16x16xf32>
  memref.dealloc %b : memref<16x16xf32>
  memref.dealloc %long : memref<16xf32>
  return
}

// -----

// Live together (both read by the last copy): disjoint bytes, the larger
// first. Offsets follow the alignment.
// CHECK-LABEL: func.func @overlap
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi8>
// CHECK-NEXT:    %[[C448:.*]] = arith.constant 448 : index
// CHECK-NEXT:    memref.view %[[ARENA]][%[[C448]]][] : memref<512xi8> to memref<10xf32>
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[ARENA]][%[[C0]]][] : memref<512xi8> to memref<100xf32>
// ALIGN-LABEL: func.func @overlap
// ALIGN:         memref.alloc() {alignment = 256 : i64} : memref<768xi8>
func.func @overlap(%x: memref<10xf32>, %y: memref<100xf32>) {
  %small = memref.alloc() : memref<10xf32>
  %large = memref.alloc() : memref<100xf32>
  memref.copy %x, %small : memref<10xf32> to memref<10xf32>
  memref.copy %y, %large : memref<100xf32> to memref<100xf32>
  memref.copy %small, %x : memref<10xf32> to memref<10xf32>
  memref.copy %large, %y : memref<100xf32> to memref<100xf32>
  memref.dealloc %large : memref<100xf32>
  memref.dealloc %small : memref<10xf32>
  return
}

// -----

// A use in a nested region or through a view counts as a use of the op of
// the entry block that holds it; the free comes after that op.
// FREE-LABEL: func.func @nested_and_view
// FREE:         %[[A:.*]] = memref.alloc() : memref<4x8xf32>
// FREE:         scf.if %arg0 {
// FREE:           memref.copy %arg1, %[[A]]
// FREE:         }
// FREE-NEXT:    %[[V:.*]] = memref.subview %[[A]]
// FREE-NEXT:    memref.copy %[[V]], %arg2
// FREE-NEXT:    memref.dealloc %[[A]]
// FREE-NEXT:    memref.copy %arg2, %arg2
// FREE-NEXT:    return
func.func @nested_and_view(%c: i1, %in: memref<4x8xf32>, %out: memref<8xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  scf.if %c {
    memref.copy %in, %a : memref<4x8xf32> to memref<4x8xf32>
  }
  %row = memref.subview %a[0, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1]>>
  memref.copy %row, %out : memref<8xf32, strided<[1]>> to memref<8xf32>
  memref.copy %out, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %a : memref<4x8xf32>
  return
}

// -----

// Buffers whose memory may outlive the block, or whose address is compared,
// keep their allocation and their free.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     memref.view
// CHECK:         %[[R:.*]] = memref.alloc() : memref<8xf32>
// CHECK:         %[[C:.*]] = memref.alloc() : memref<8xf32>
// CHECK:         %[[P:.*]] = memref.alloc() : memref<8xf32>
// CHECK:         memref.extract_aligned_pointer_as_index %[[P]]
// CHECK:         scf.if %arg0 {
// CHECK-NEXT:      memref.dealloc %[[C]]
// CHECK:         memref.dealloc %[[P]]
// CHECK-NEXT:    return %[[R]], %{{.*}}
func.func @left_alone(%c: i1, %in: memref<8xf32>) -> (memref<8xf32>, index) {
  %returned = memref.alloc() : memref<8xf32>
  memref.copy %in, %returned : memref<8xf32> to memref<8xf32>
  %conditional = memref.alloc() : memref<8xf32>
  memref.copy %in, %conditional : memref<8xf32> to memref<8xf32>
  %pointed = memref.alloc() : memref<8xf32>
  %address = memref.extract_aligned_pointer_as_index %pointed : memref<8xf32> -> index
  memref.copy %in, %in : memref<8xf32> to memref<8xf32>
  scf.if %c {
    memref.dealloc %conditional : memref<8xf32>
  }
  memref.dealloc %pointed : memref<8xf32>
  return %returned, %address : memref<8xf32>, index
}

// -----

// A call to a function with a body splits the block: no arena is held
// across it. %across, passed to the call, is freed right after it; the two
// buffers before the call share an arena; the one after it is alone, so it
// stays a buffer. External functions (the runtime's) do not split.
// CHECK-LABEL: func.func @segments
// CHECK:         %[[B1:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK:         call @external
// CHECK:         memref.dealloc %[[B1]]
// CHECK:         %[[ACROSS:.*]] = memref.alloc() : memref<16xf32>
// CHECK:         call @defined(%[[ACROSS]])
// CHECK-NEXT:    memref.dealloc %[[ACROSS]]
// CHECK:         %[[AFTER:.*]] = memref.alloc() : memref<16xf32>
// CHECK:         memref.dealloc %[[AFTER]]
// CHECK-NEXT:    return
func.func private @external(memref<16xf32>)
func.func private @defined(%x: memref<16xf32>) {
  return
}
func.func @segments(%in: memref<16xf32>) {
  %b1 = memref.alloc() : memref<16xf32>
  %b2 = memref.alloc() : memref<16xf32>
  memref.copy %in, %b1 : memref<16xf32> to memref<16xf32>
  memref.copy %in, %b2 : memref<16xf32> to memref<16xf32>
  call @external(%b1) : (memref<16xf32>) -> ()
  call @external(%b2) : (memref<16xf32>) -> ()
  %across = memref.alloc() : memref<16xf32>
  call @defined(%across) : (memref<16xf32>) -> ()
  %after = memref.alloc() : memref<16xf32>
  memref.copy %in, %after : memref<16xf32> to memref<16xf32>
  memref.dealloc %b1 : memref<16xf32>
  memref.dealloc %b2 : memref<16xf32>
  memref.dealloc %across : memref<16xf32>
  memref.dealloc %after : memref<16xf32>
  return
}

// -----

// Where nothing is live between two runs of buffers, each run gets its
// own arena. Dynamic shapes and alignments above the arena's are freed
// early but stay out of arenas.
// CHECK-LABEL: func.func @runs_and_misfits
// CHECK:         %[[R1:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK:         memref.dealloc %[[R1]] : memref<128xi8>
// CHECK:         %[[R2:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK:         memref.dealloc %[[R2]] : memref<128xi8>
// CHECK:         %[[DYN:.*]] = memref.alloc(%arg1) : memref<?xf32>
// CHECK-NEXT:    memref.dealloc %[[DYN]]
// CHECK:         %[[WIDE:.*]] = memref.alloc() {alignment = 128 : i64} : memref<4xf32>
// CHECK-NEXT:    memref.dealloc %[[WIDE]]
// CHECK-NEXT:    return
func.func @runs_and_misfits(%in: memref<4xf32>, %n: index) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %in, %a : memref<4xf32> to memref<4xf32>
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  %c = memref.alloc() : memref<4xf32>
  %d = memref.alloc() : memref<4xf32>
  memref.copy %in, %c : memref<4xf32> to memref<4xf32>
  memref.copy %c, %d : memref<4xf32> to memref<4xf32>
  %dyn = memref.alloc(%n) : memref<?xf32>
  %wide = memref.alloc() {alignment = 128 : i64} : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  memref.dealloc %b : memref<4xf32>
  memref.dealloc %c : memref<4xf32>
  memref.dealloc %d : memref<4xf32>
  memref.dealloc %dyn : memref<?xf32>
  memref.dealloc %wide : memref<4xf32>
  return
}

// -----

// A function with async operations is left alone: an async.execute body
// runs after the ops that follow it.
// CHECK-LABEL: func.func @async_body
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         async.execute
// CHECK:         async.await
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    %[[B:.*]] = memref.alloc() : memref<4xf32>
func.func @async_body(%in: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %token = async.execute {
    memref.copy %in, %a : memref<4xf32> to memref<4xf32>
    async.yield
  }
  async.await %token : !async.token
  memref.dealloc %a : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %in, %b : memref<4xf32> to memref<4xf32>
  memref.dealloc %b : memref<4xf32>
  return
}
