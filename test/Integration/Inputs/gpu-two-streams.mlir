// Two streams, each filling a device buffer with a kernel, joined by an
// event (`gpu.wait async [...]`) before a kernel that adds one buffer into
// the other; the sum comes back to the host. @main returns 0 when every
// element is 3, 1 otherwise.
module attributes {gpu.container_module} {
  func.func @main() -> i32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    %one = arith.constant 1.0 : f32
    %two = arith.constant 2.0 : f32
    %three = arith.constant 3.0 : f32
    %host = memref.alloc() : memref<256xf32>
    %sa = gpu.wait async
    %sb = gpu.wait async
    %a, %ta = gpu.alloc async [%sa] () : memref<256xf32>
    %b, %tb = gpu.alloc async [%sb] () : memref<256xf32>
    %fa = gpu.launch_func async [%ta] @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1) args(%a : memref<256xf32>, %one : f32)
    %fb = gpu.launch_func async [%tb] @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1) args(%b : memref<256xf32>, %two : f32)
    %joined = gpu.wait async [%fa, %fb]
    %added = gpu.launch_func async [%joined] @kernels::@add blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1) args(%a : memref<256xf32>, %b : memref<256xf32>)
    %copied = gpu.memcpy async [%added] %host, %a : memref<256xf32>, memref<256xf32>
    %freeA = gpu.dealloc async [%copied] %a : memref<256xf32>
    %freeB = gpu.dealloc async [%freeA] %b : memref<256xf32>
    gpu.wait [%freeB]
    %bad = scf.for %i = %c0 to %c256 step %c1 iter_args(%count = %c0) -> (index) {
      %x = memref.load %host[%i] : memref<256xf32>
      %wrong = arith.cmpf une, %x, %three : f32
      %next = arith.addi %count, %c1 : index
      %r = arith.select %wrong, %next, %count : index
      scf.yield %r : index
    }
    memref.dealloc %host : memref<256xf32>
    %failed = arith.cmpi ne, %bad, %c0 : index
    %status = arith.extui %failed : i1 to i32
    return %status : i32
  }
  gpu.module @kernels {
    gpu.func @fill(%out: memref<256xf32>, %value: f32) kernel {
      %i = gpu.thread_id x
      memref.store %value, %out[%i] : memref<256xf32>
      gpu.return
    }
    gpu.func @add(%acc: memref<256xf32>, %other: memref<256xf32>) kernel {
      %i = gpu.thread_id x
      %x = memref.load %acc[%i] : memref<256xf32>
      %y = memref.load %other[%i] : memref<256xf32>
      %s = arith.addf %x, %y : f32
      memref.store %s, %acc[%i] : memref<256xf32>
      gpu.return
    }
  }
}
