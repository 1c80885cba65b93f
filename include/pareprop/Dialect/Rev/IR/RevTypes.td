#ifndef PAREPROP_DIALECT_REV_IR_REVTYPES
#define PAREPROP_DIALECT_REV_IR_REVTYPES

include "pareprop/Dialect/Rev/IR/RevDialect.td"
include "mlir/IR/AttrTypeBase.td"

def Rev_TokenType : TypeDef<Rev_Dialect, "Token"> {
  let mnemonic = "token";
  let summary = "completion of a scheduled task";
  let description = [{
    Produced by `rev.task`; becomes available when the task has finished.
    Other tasks list tokens in `after` to order themselves behind it, and
    `rev.await` blocks the issuing code until the tokens are available.
  }];
}

#endif
