/*===- pareprop-c/TrainingStep.h - C API to compiled training steps -------===*\
|*                                                                            *|
|* Compile a model (MLIR text of the rev and nn dialects) into a training    *|
|* step under a backward schedule and run it on caller-owned buffers. The    *|
|* Python package (python-frontend/pareprop) calls this through ctypes; any  *|
|* other host language can too. Every buffer is dense, row-major, in the     *|
|* element type of its MLIR type; an `i64` argument is one int64_t.           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef PAREPROP_C_TRAININGSTEP_H
#define PAREPROP_C_TRAININGSTEP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PaRepropStep PaRepropStep;

/* Parses `mlir`, finds the loss function (`func`, or when NULL/empty the
 * public function holding rev.block ops) and compiles its training step.
 * `schedule`: "stored" (ordinary backprop, activations stored), "vanilla",
 * "pareprop", "list" or "auto" (pareprop-run's names; see
 * pareprop::namedSchedules), or "forward" to compile the loss alone.
 * `options`: more rev-to-llvm pipeline options, e.g. "lookahead=2
 * memory-budget=4MiB" (NULL or "" for none). On failure returns NULL and,
 * when `error` is not NULL, a message with source locations that the caller
 * frees with pareprop_string_free. */
/* The schedule names pareprop_step_compile takes (besides "forward"),
 * comma-separated: "stored,vanilla,pareprop,list,auto". Static storage. */
const char *pareprop_schedule_names(void);

PaRepropStep *pareprop_step_compile(const char *mlir, const char *func,
                                    const char *schedule, const char *options,
                                    char **error);

/* JSON: {"function", "schedule", "policy", "predicted_seconds",
 * "predicted_peak_bytes", "args": [{"type", "dtype", "shape", "grad"}],
 * "results": [{"type", "dtype", "shape", "arg"}]}; `arg` is the argument a
 * gradient result belongs to (-1 for the loss). Owned by the step. */
const char *pareprop_step_signature(const PaRepropStep *step);

/* Runs the step once: `args[i]` points at argument i, result i is written to
 * `results[i]`. `peak_bytes` (may be NULL) receives the most memory the
 * compiled code held during the call beyond what it held before. Returns 0;
 * 2 when an index argument (embedding id, class label) is out of range: the
 * step did not run, and `error` names the argument, element and value (the
 * check is on unless compiled with "index-checks=false"); or 1 for any other
 * failure, with a message in `error` as for compile. Not reentrant. */
int pareprop_step_run(PaRepropStep *step, const void *const *args,
                      void *const *results, int64_t *peak_bytes, char **error);

/* Of the last pareprop_step_run: the most bytes the compiled code held at
 * once in buffers other than the step's results, i.e. activations,
 * recomputed internals and temporaries without the gradients it returns
 * (which a training step produces whatever its schedule). */
int64_t pareprop_step_last_peak_activation_bytes(const PaRepropStep *step);

/* Of the last pareprop_step_run: how many buffers the compiled code took
 * from the system. Buffers come from a pool that keeps freed blocks for
 * reuse, so once a step has run, the next ones of the same step take none
 * or a few (streams may interleave their allocations differently). */
int64_t pareprop_step_last_system_allocations(const PaRepropStep *step);

/* The pool compiled steps allocate from (one per process): bytes it holds
 * now (in use and cached), the most it has held, and how many blocks it has
 * taken from the system. Any pointer may be NULL. */
void pareprop_buffer_pool_statistics(int64_t *reserved_bytes,
                                     int64_t *peak_reserved_bytes,
                                     int64_t *system_allocations);

/* Gives the pool's cached (unused) blocks back to the system. */
void pareprop_buffer_pool_release(void);

/* The checking harness of pareprop-run (pareprop/Harness/Harness.h):
 * compiles the training step of `mlir`'s loss function (`func` as for
 * pareprop_step_compile) under each of `schedules` (comma-separated names
 * as above; the first is the reference), runs each on the same inputs drawn
 * from `seed`, and compares loss and gradients with the reference's within
 * `rtol` (negative: 1e-9 for f64 steps, 1e-4 for f32). With `fd_samples` >
 * 0 it also compares the reference's gradients with central finite
 * differences of the loss at that many coordinates per argument, within
 * `fd_rtol` of each argument's largest gradient (negative: 1e-6 / 1e-2).
 * `options` as for pareprop_step_compile. Returns 0 when every check
 * passes, 1 when one fails (with `report`, a JSON object the caller frees
 * with pareprop_string_free: {"function", "tolerance", "passed",
 * "schedules": [{"schedule", "loss", "error", "passed"}],
 * "finite_differences": {"epsilon", "tolerance", "worst_error",
 * "passed"}}), or -1 on an error, with a message in `error`. */
int pareprop_check_schedules(const char *mlir, const char *func,
                             const char *schedules, const char *options,
                             uint64_t seed, double rtol, unsigned fd_samples,
                             double fd_rtol, char **report, char **error);

void pareprop_step_destroy(PaRepropStep *step);
void pareprop_string_free(char *str);

#ifdef __cplusplus
}
#endif

#endif /* PAREPROP_C_TRAININGSTEP_H */
