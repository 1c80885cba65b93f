#ifndef PAREPROP_DIALECT_ATEN_IR_ATENOPS
#define PAREPROP_DIALECT_ATEN_IR_ATENOPS

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"

def ATen_Dialect : Dialect {
  let name = "aten";
  let summary = "PyTorch operator calls, as both frontends see them";
  let description = [{
    The frontends' common output: one `aten.call` per PyTorch operator call
    that computes a model value, named and with its arguments named as in
    the operator's ATen schema (`aten::linear(Tensor input, Tensor weight,
    Tensor? bias)`). The torch.fx exporter (Python) and the TorchScript
    importer (LibTorch) both write this form and nothing more op-specific;
    `convert-aten-to-nn` is the one table that lowers it to `nn`, so an
    operator is supported by both frontends, or by neither, from one entry.
    Shapes are static: the frontends run the model on example inputs and
    record every result's type.
  }];
  let cppNamespace = "::pareprop::aten";
}

def ATen_CallOp : Op<ATen_Dialect, "call"> {
  let summary = "one call of a PyTorch operator";
  let description = [{
    `op_name` is the operator's name without its namespace and overload
    (`linear` for `aten::linear`, `add` for `aten::add.Tensor`). Tensor
    arguments that are model values are operands, each named in
    `operand_names` by its schema argument (a list argument, such as
    `aten::cat`'s `tensors`, gives one operand per element, each with the
    list's name; an `i64` operand named `key` is the dropout key). The other
    arguments are in `args` by schema name: numbers, booleans, strings and
    integer lists as `i64`, `f64`, `bool`, string and `array<i64>`
    attributes; an argument that is `None` is left out. Results are the
    operator's tensor results (a list result, such as `aten::chunk`'s, one
    result per element), typed as the frontend observed them.

    ```mlir
    %y = aten.call "linear"(%x, %w, %b)
           {operand_names = ["input", "weight", "bias"], args = {}}
           : (tensor<4x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %p = aten.call "softmax"(%y) {operand_names = ["self"], args = {dim = -1 : i64}}
           : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins StrAttr:$op_name, Variadic<AnyType>:$inputs,
                       StrArrayAttr:$operand_names, DictionaryAttr:$args);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $op_name `(` $inputs `)` attr-dict `:` functional-type($inputs, $results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The operands named `name`, in order.
    llvm::SmallVector<mlir::Value> getNamedOperands(llvm::StringRef name);
    /// The one operand named `name`, or null.
    mlir::Value getNamedOperand(llvm::StringRef name);
    /// The argument `name` from `args`, or null when it is absent (None).
    mlir::Attribute getArg(llvm::StringRef name) {
      return getArgs().get(name);
    }
  }];
}

#endif
