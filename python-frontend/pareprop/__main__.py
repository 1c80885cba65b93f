"""Command line: ``python3 -m pareprop export MODEL [options]`` writes MLIR;
``python3 -m pareprop train [MODEL]`` is the main job (see pareprop.demo);
``check-dump MODEL FILE`` checks a dump of its compiled step against PyTorch
(see pareprop.dumpfile); ``bench`` and ``gpu-bench`` measure.

MODEL is a zoo model (revvit, revbert, revmlp) or ``path/to/file.py:factory``
where ``factory(**options)`` returns ``(module, example_inputs)`` (see
pareprop.zoo). ``--set name=value`` passes options to the factory.
"""

import argparse
import ast
import importlib.util
import sys
from pathlib import Path

from . import zoo
from .export import ExportError, export


def _parse_value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _options(items):
    options = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"pareprop: --set expects NAME=VALUE, got "
                             f"{item!r}")
        k, v = item.split("=", 1)
        options[k] = _parse_value(v)
    return options


def load_factory(spec):
    if spec in zoo.MODELS:
        return zoo.MODELS[spec]
    if ":" not in spec:
        raise SystemExit(f"pareprop: unknown model {spec!r}: expected one of "
                         f"{', '.join(zoo.MODELS)} or path/to/file.py:factory")
    path, name = spec.rsplit(":", 1)
    if not Path(path).is_file():
        raise SystemExit(f"pareprop: no such file: {path}")
    module_spec = importlib.util.spec_from_file_location("user_model", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    factory = getattr(module, name, None)
    if factory is None:
        raise SystemExit(f"pareprop: {path} has no {name!r}")
    return factory


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m pareprop")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write a model's MLIR")
    exp.add_argument("model", help=f"{', '.join(zoo.MODELS)} or "
                                   "path/to/file.py:factory")
    exp.add_argument("-o", "--output", default="-",
                     help="output file (default: stdout)")
    exp.add_argument("--set", action="append", default=[],
                     metavar="NAME=VALUE",
                     help="factory option, e.g. --set depth=4")
    exp.add_argument("--eval", action="store_true",
                     help="export in eval mode (no dropout)")
    train = sub.add_parser(
        "train", help="compile a zoo model under each schedule, train it a "
        "few steps on the CPU and compare with PyTorch")
    train.add_argument("model", nargs="?", default="revvit",
                       choices=sorted(zoo.MODELS))
    train.add_argument("--steps", type=int, default=3)
    train.add_argument("--schedules", default="stored,vanilla,pareprop,auto")
    train.add_argument("--set", action="append", default=[],
                       metavar="NAME=VALUE", help="zoo option")
    train.add_argument("--options", default="",
                       help="compiler pipeline options, e.g. "
                       "'memory-budget=8MiB lookahead=1'")
    bench = sub.add_parser(
        "bench", help="time compiled training steps against PyTorch eager "
        "(stored, reversible, PaReprop-style) on RevViT-Tiny-like blocks")
    bench.add_argument("configs", nargs="*", default=["tiny-b4-d8"],
                       help="configurations (default: tiny-b4-d8; 'all': "
                       "every tiny-* one)")
    bench.add_argument("--steps", type=int, default=5,
                       help="timed steps per row (median reported)")
    bench.add_argument("--warmup", type=int, default=1)
    bench.add_argument("--json", metavar="FILE",
                       help="also write the records as JSON")
    gpu = sub.add_parser(
        "gpu-bench", help="build GPU executables of RevViT-B/L under each "
        "schedule and time them against PyTorch CUDA (stored, reversible, "
        "two-stream PaReprop) in one run")
    gpu.add_argument("configs", nargs="*", default=["revvit-b-b32"],
                     help="configurations (default: revvit-b-b32; 'all': "
                     "RevViT-B and -L at batch 8, 32 and 128)")
    gpu.add_argument("--steps", type=int, default=20,
                     help="timed steps per row (mean reported)")
    gpu.add_argument("--warmup", type=int, default=3)
    gpu.add_argument("--json", metavar="FILE",
                     help="also write the records as JSON")
    gpu.add_argument("--work-dir", default="gpu-bench",
                     help="where the exported models and executables go")
    gpu.add_argument("--gemm-math", default="f32",
                     choices=["f32", "tf32", "bf16"],
                     help="arithmetic of the matrix products on both sides "
                     "(default: exact f32)")
    gpu.add_argument("--no-torch", action="store_true",
                     help="measure our executables only")
    gpu.add_argument("--build-only", action="store_true",
                     help="build the executables and stop (no GPU needed)")
    check = sub.add_parser(
        "check-dump", help="check a dump of a model's compiled step "
        "(pareprop-run --dump, or a GPU executable's --dump) against "
        "PyTorch autograd on the dumped inputs and weights")
    check.add_argument("model", help=f"{', '.join(zoo.MODELS)} or "
                                     "path/to/file.py:factory")
    check.add_argument("dump", help="the dump file")
    check.add_argument("--set", action="append", default=[],
                       metavar="NAME=VALUE",
                       help="factory option, as given to export")
    check.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                       help="PyTorch in f64 on the CPU (default) or in f32 "
                       "on CUDA with TF32 off")
    check.add_argument("--rtol", type=float, default=None,
                       help="tolerance (default 1e-5 on the CPU, 1e-3 on "
                       "CUDA)")
    args = parser.parse_args(argv)
    if args.command == "check-dump":
        from . import dumpfile
        factory = load_factory(args.model)
        try:
            module, inputs = factory(**_options(args.set))
        except TypeError as e:
            raise SystemExit(f"pareprop: {args.model}: {e}")
        module.eval()  # A dump of a compiled step holds no dropout masks.
        ok = dumpfile.main_check(module, inputs, args.dump, args.device,
                                 args.rtol)
        return 0 if ok else 1
    if args.command == "gpu-bench":
        from .bench import gpu as gpu_bench
        configs = args.configs
        if configs == ["all"]:
            configs = [c for c in gpu_bench.CONFIGS if c.startswith("revvit")]
        unknown = [c for c in configs if c not in gpu_bench.CONFIGS]
        if unknown:
            parser.error(f"unknown configuration(s) {', '.join(unknown)}; "
                         f"known: {', '.join(gpu_bench.CONFIGS)}")
        if args.steps < 1 or args.warmup < 0:
            parser.error("--steps must be at least 1 and --warmup at least 0")
        try:
            gpu_bench.main(configs, args.steps, args.warmup, args.json,
                           args.work_dir, args.gemm_math, not args.no_torch,
                           args.build_only)
        except RuntimeError as e:
            raise SystemExit(f"pareprop gpu-bench: {e}")
        return 0
    if args.command == "bench":
        from .bench import cpu as bench_module
        configs = args.configs
        if configs == ["all"]:
            configs = [c for c in bench_module.CONFIGS if c.startswith("tiny")]
        unknown = [c for c in configs if c not in bench_module.CONFIGS]
        if unknown:
            parser.error(f"unknown configuration(s) {', '.join(unknown)}; "
                         f"known: {', '.join(bench_module.CONFIGS)}")
        bench_module.main(configs, args.steps, args.warmup, args.json)
        return 0
    if args.command == "train":
        from . import demo
        ok = demo.run(args.model, args.steps, args.schedules.split(","),
                      options=_options(args.set),
                      compile_options=args.options)
        return 0 if ok else 1

    options = _options(args.set)
    factory = load_factory(args.model)
    try:
        module, inputs = factory(**options)
    except TypeError as e:
        raise SystemExit(f"pareprop: {args.model}: {e}")
    if args.eval:
        module.eval()
    try:
        text = export(module, inputs)
    except ExportError as e:
        raise SystemExit(f"pareprop: cannot export {args.model}: {e}")
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
