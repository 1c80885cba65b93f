/*===- pareprop-c/Frontend.h - C API of the frontends' shared lowering ----===*\
|*                                                                            *|
|* The torch.fx exporter (python-frontend/pareprop/export.py) writes a model *|
|* as aten.call ops (PyTorch operator calls, ATen schema names) and hands it  *|
|* here, where convert-aten-to-nn lowers it to nn: the one lowering of torch *|
|* operators, which pareprop-import's TorchScript path runs too.             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef PAREPROP_C_FRONTEND_H
#define PAREPROP_C_FRONTEND_H

#ifdef __cplusplus
extern "C" {
#endif

/* Lowers the aten.calls of `mlir` to nn and returns the module's text, which
 * the caller frees with pareprop_string_free; NULL on failure, with the
 * diagnostics ("<message> at <module path>") in `error` when it is not
 * NULL (freed the same way). */
char *pareprop_lower_torch_operators(const char *mlir, char **error);

/* The torch operators the lowering supports (aten.call names),
 * comma-separated and sorted. Static storage. */
const char *pareprop_torch_operators(void);

#ifdef __cplusplus
}
#endif

#endif /* PAREPROP_C_FRONTEND_H */
