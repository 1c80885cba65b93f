//===- RevEnums.td - the rev dialect's enumerations --------*- tablegen -*-===//
//
// The one definition of each closed set of names the rev dialect, its
// passes, the analyses and the tools share: task kinds, scheduling policies,
// training-step modes and transition modes. The analyses (plain C++) use
// the generated enums too, so a name is spelled here and nowhere else.
//
//===----------------------------------------------------------------------===//
#ifndef PAREPROP_DIALECT_REV_IR_REVENUMS
#define PAREPROP_DIALECT_REV_IR_REVENUMS

include "mlir/IR/EnumAttr.td"

def Rev_TaskKind : I32EnumAttr<"TaskKind",
    "what a task (or a node of the backward graph) does", [
  // Non-reversible ops, reversible blocks, the loss.
  I32EnumAttrCase<"Forward", 0, "forward">,
  // Rebuilding a reversible block's inputs and its F/G internals.
  I32EnumAttrCase<"Recompute", 1, "recompute">,
  // Replaying a checkpointed non-reversible segment from its saved input.
  I32EnumAttrCase<"Checkpoint", 2, "checkpoint">,
  // A block's gradient (op granularity: its input-gradient half).
  I32EnumAttrCase<"Gradient", 3, "grad">,
  // The parameter-gradient half of a block's gradient (op granularity).
  I32EnumAttrCase<"ParamGradient", 4, "param-grad">,
  // Backprop through non-reversible ops.
  I32EnumAttrCase<"Backprop", 5, "backprop">
]> {
  let cppNamespace = "::pareprop::rev";
}

def Rev_SchedulePolicyKind : I32EnumAttr<"SchedulePolicyKind",
    "how rev-schedule-backward assigns work to streams", [
  // One stream, program order: per block, recompute then gradient.
  I32EnumAttrCase<"Vanilla", 0, "vanilla">,
  // Recomputes on stream 1, everything else on stream 0.
  I32EnumAttrCase<"PaReprop", 1, "pareprop">,
  // Cost-model list scheduling over N streams.
  I32EnumAttrCase<"List", 2, "list">,
  // Predicts every candidate and takes the fastest that fits the budget.
  I32EnumAttrCase<"Auto", 3, "auto">
]> {
  let cppNamespace = "::pareprop::rev";
  let genSpecializedAttr = 0;
}

def Rev_StepMode : I32EnumAttr<"StepMode",
    "the backward a training step is built with", [
  // Block inputs rebuilt from outputs (rev.recompute).
  I32EnumAttrCase<"Reversible", 0, "reversible">,
  // Ordinary backprop: activations kept from the forward.
  I32EnumAttrCase<"Stored", 1, "stored">,
  // No training step: the pipelines compile the functions as written (a
  // forward-only loss, say). Not a mode of a built step.
  I32EnumAttrCase<"None", 2, "none">
]> {
  let cppNamespace = "::pareprop::rev";
  let genSpecializedAttr = 0;
}

def Rev_TransitionMode : I32EnumAttr<"TransitionMode",
    "how the non-reversible ops around reversible stacks are differentiated", [
  // Their internals kept from the forward.
  I32EnumAttrCase<"Stored", 0, "stored">,
  // Replayed from their inputs in the backward.
  I32EnumAttrCase<"Checkpoint", 1, "checkpoint">
]> {
  let cppNamespace = "::pareprop::rev";
  let genSpecializedAttr = 0;
}

#endif
