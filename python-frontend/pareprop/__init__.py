"""PaReprop: compile reversible PyTorch models into training steps that
overlap recomputation with gradients.

    import pareprop
    text = pareprop.export(loss_module, example_inputs)     # MLIR
    step = pareprop.compile(loss_module, example_inputs, schedule="auto")
    loss, grads = step(*inputs)    # grads: {parameter name: tensor}
"""

from . import nn, zoo
from .export import ExportError, export
from .runtime import (CompileError, buffer_pool_statistics, compile,
                      release_cached_buffers, save_torchscript)

__all__ = ["nn", "zoo", "export", "compile", "save_torchscript", "ExportError",
           "CompileError", "buffer_pool_statistics", "release_cached_buffers"]
