"""The GPU benchmark's pieces that run without a GPU: its two-stream
PyTorch baseline computes autograd's gradients (on the CPU its backward
runs the same order on one queue: the recompute of block k-1 before the
gradient of block k) at depths 1-3 and with a padding-mask context; the
executables' reports parse; the ratios are those of the records; and the
command line refuses unknown configurations. On a GPU machine
test/Integration/gpu-torch-cuda.test runs the benchmark itself."""

import pytest

from pareprop.bench import gpu as gpu_bench
from pareprop.__main__ import main as cli
from helpers import assert_reversible_matches_autograd, autograd, max_rel_diff


@pytest.mark.parametrize("model", ["revvit", "revbert"])
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("schedule", ["vanilla", "pareprop"])
def test_torch_baselines_match_autograd(model, depth, schedule):
    assert_reversible_matches_autograd(
        model, depth, lambda module: gpu_bench.reversible(module, schedule))


def test_measure_torch_on_cpu_returns_time_and_gradients():
    module, inputs, _ = gpu_bench.model("small-b2")
    ms, peak, grads = gpu_bench.measure_torch(module, inputs, "pareprop",
                                              steps=1, warmup=0)
    _, ref = autograd(module, inputs)
    assert ms > 0 and peak is None
    assert set(grads) == set(ref)
    assert max(max_rel_diff(grads[n], ref[n]) for n in ref) <= 1e-5


def test_configurations_are_revvit_b_and_l():
    module, inputs, options = gpu_bench.model("small-b2")
    assert options["depth"] == 3 and inputs[0].shape[0] == 2
    b = gpu_bench.MODELS["revvit-b"]
    assert (b["dim"], b["depth"], b["heads"], b["dim"] * b["mlp_ratio"]) == \
        (768, 12, 12, 3072)
    large = gpu_bench.MODELS["revvit-l"]
    assert (large["dim"], large["depth"], large["heads"]) == (1024, 24, 16)
    assert sorted(c for c in gpu_bench.CONFIGS if c.startswith("revvit")) == \
        sorted(f"revvit-{m}-b{b}" for m in "bl" for b in (8, 32, 128))


def test_report_parsing():
    text = ("steps: 3\nstep time: 12.500 ms\nthroughput: 640.0 images/s\n"
            "peak device memory: 1024.5 MiB\nloss: 2.30258512\n"
            "gradient checksum: -0.00123\n")
    r = gpu_bench.parse_report(text)
    assert r == dict(step_ms=12.5, images_per_s=640.0, peak_mib=1024.5,
                     loss=2.30258512, checksum=-0.00123)
    with pytest.raises(ValueError, match="throughput"):
        gpu_bench.parse_report("step time: 1 ms\n")


def test_ratios_come_from_the_records():
    def rec(impl, schedule, ips):
        return dict(config="c", impl=impl, schedule=schedule,
                    images_per_s=ips)
    records = [rec("ours", "stored", 100.0), rec("ours", "vanilla", 80.0),
               rec("ours", "pareprop", 96.0), rec("ours", "auto", 90.0),
               rec("torch", "stored", 50.0), rec("torch", "vanilla", 40.0),
               rec("torch", "pareprop", 64.0)]
    lines = gpu_bench.ratios(records, out=lambda _: None)
    assert lines == ["c: ours pareprop/vanilla 1.200, ours auto/best fixed "
                     "0.938, ours/torch stored 2.000, ours/torch vanilla "
                     "2.000, ours/torch pareprop 1.500"]


def test_cli_refuses_unknown_configurations(capsys):
    with pytest.raises(SystemExit):
        cli(["gpu-bench", "revvit-h-b8"])
    assert "unknown configuration(s) revvit-h-b8" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["gpu-bench", "small-b2", "--steps", "0"])
    assert "--steps must be at least 1" in capsys.readouterr().err
