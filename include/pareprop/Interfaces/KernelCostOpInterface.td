#ifndef PAREPROP_INTERFACES_KERNELCOSTOPINTERFACE
#define PAREPROP_INTERFACES_KERNELCOSTOPINTERFACE

include "mlir/IR/OpBase.td"

def KernelCostOpInterface : OpInterface<"KernelCostOpInterface"> {
  let description = [{
    The kernels an op becomes once lowered, with the work of each: FLOPs,
    bytes read and written, the elements of its largest result and whether
    it is a matrix product. This is the one statement of an op's cost: the
    scheduler's cost model (`OpCostModel`) reads it and repeats none of the
    lowering's decisions. An op implements it where its lowering is not one
    elementwise loop over its result (`appendElementwiseKernel`, what the
    cost model assumes of every other op with a tensor result); the
    implementation says which lowering it describes, so a change to one is
    made beside the other.
  }];
  let cppNamespace = "::pareprop";
  let methods = [
    InterfaceMethod<"Append the kernels the op lowers to.",
      "void", "appendKernels",
      (ins "::llvm::SmallVectorImpl<::pareprop::OpWork> &":$kernels)>,
  ];
}

#endif
