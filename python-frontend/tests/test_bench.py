"""The benchmark's PyTorch baselines compute autograd's gradients (the
reversible ones rebuild activations, so a slip there would make their times
meaningless; with and without a padding-mask context), and one run of a small configuration yields every row with
the JSON fields the CPU-performance issue asks for."""

import json

import pytest
import torch

from pareprop import zoo
from pareprop.bench import cpu as bench
from helpers import assert_reversible_matches_autograd


@pytest.mark.parametrize("model", ["revvit", "revbert"])
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("overlap", [False, True], ids=["vanilla", "pareprop"])
def test_torch_reversible_backward_matches_autograd(model, depth, overlap):
    # RevBERT's stack also passes a padding mask to every F and G. Outside
    # the context the model stores activations again.
    assert_reversible_matches_autograd(
        model, depth, lambda module: bench._reversible(module, overlap))


def test_reversible_forward_keeps_no_block_activations():
    module, inputs = zoo.revvit(batch=2, image_size=8, patch=4, dim=16,
                                depth=3, heads=2)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(
            lambda t: saved.append(t.numel()) or t, lambda t: t):
        module(*inputs)
    stored = sum(saved)
    saved.clear()
    with bench._reversible(module, False):
        with torch.autograd.graph.saved_tensors_hooks(
                lambda t: saved.append(t.numel()) or t, lambda t: t):
            module(*inputs)
    assert sum(saved) < stored / 2, (sum(saved), stored)


def test_small_configuration_reports_every_row(tmp_path):
    lines = []
    records = bench.main(["small-b2-d3"], steps=1, warmup=0,
                         json_path=tmp_path / "bench.json", out=lines.append)
    rows = {(r["impl"], r["schedule"]) for r in records}
    assert rows == {("torch", s) for s in ("stored", "vanilla", "pareprop")} \
        | {("pareprop", s) for s in ("stored", "vanilla", "pareprop", "auto",
                                     "work-bound")}
    by_schedule = {(r["impl"], r["schedule"]): r for r in records}
    # The work bound is one thread's vanilla step over the cores: no step
    # of ours can beat it by much (allow for noise), and it is no gradient.
    bound = by_schedule["pareprop", "work-bound"]
    assert bound["grad_rel_err"] is None and bound["peak_bytes"] is None
    assert by_schedule["pareprop", "vanilla"]["step_ms"] > \
        0.5 * bound["step_ms"]
    for r in records:
        assert r["step_ms"] > 0
        assert r["batch"] == 2 and r["depth"] == 3
        if r["schedule"] == "work-bound":
            continue
        assert r["grad_rel_err"] <= 1e-4, r
        if r["impl"] == "pareprop":
            # The activation peak leaves the returned gradients out.
            assert 0 < r["peak_activation_bytes"] < r["peak_bytes"], r
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written == records
    assert {"model", "batch", "depth", "impl", "schedule", "step_ms",
            "peak_bytes", "peak_activation_bytes"} <= set(written[0])
    assert any(line.startswith("small-b2-d3: ours auto / torch stored")
               for line in lines)
    assert any(line.startswith("small-b2-d3: ours auto / work bound")
               for line in lines)


def test_reversible_activation_peak_is_flat_in_depth(monkeypatch):
    # Reversible backprop keeps one block's activations whatever the depth;
    # ordinary backprop keeps every block's. The gradients the step returns
    # grow with depth either way and are not activations.
    # Batch 8: activations far outweigh the runtime's per-task bookkeeping.
    small = dict(bench.CONFIGS["small-b2-d3"], batch=8)
    peaks = {}
    for depth in (2, 6):
        monkeypatch.setitem(bench.CONFIGS, "flat", dict(small, depth=depth))
        module, inputs, _ = bench._model("flat")
        for schedule in ("vanilla", "stored"):
            step = bench.compile_step(module, inputs, schedule=schedule)
            step(*inputs)
            peaks[schedule, depth] = (step.peak_activation_bytes,
                                      step.peak_bytes)
    # Each task pending in the step holds a coroutine frame of a few KiB,
    # whatever the model's size, so even the reversible peak grows a little
    # with depth (1.4% of ordinary backprop's growth here): compare the
    # growth with what ordinary backprop adds for the same blocks (their
    # activations). Keeping a half-activation per block would add 5%.
    vanilla_growth = peaks["vanilla", 6][0] - peaks["vanilla", 2][0]
    stored_growth = peaks["stored", 6][0] - peaks["stored", 2][0]
    assert vanilla_growth < 0.03 * stored_growth, peaks
    assert peaks["stored", 6][0] / peaks["stored", 2][0] > 1.5, peaks
    # With the gradients counted, even the reversible peak grows.
    assert peaks["vanilla", 6][1] > peaks["vanilla", 2][1], peaks


@pytest.mark.parametrize("schedule", ["vanilla", "pareprop", "stored"])
def test_steady_state_steps_take_no_buffers_from_the_system(schedule):
    # Every buffer of a step comes from the pool of freed ones once the step
    # has run: a first step on an empty pool takes its buffers from the
    # system, later ones almost none (the runtime's threads free coroutine
    # frames and a task's last buffers asynchronously, and two streams may
    # interleave allocations differently from one step to the next, so a
    # step now and then needs a few more blocks of a size). Without the
    # pool, five steps would take five times what the first took.
    import pareprop
    module, inputs, _ = bench._model("small-b2-d3")
    step = bench.compile_step(module, inputs, schedule=schedule)
    pareprop.release_cached_buffers()
    reserved = pareprop.buffer_pool_statistics()["reserved_bytes"]
    step(*inputs)
    first = step.system_allocations
    assert first >= 10, first
    # The blocks the first step freed stayed in the pool.
    assert pareprop.buffer_pool_statistics()["reserved_bytes"] > reserved
    later = []
    for _ in range(5):
        step(*inputs)
        later.append(step.system_allocations)
    assert sum(later) <= first // 5, (first, later)
    pareprop.release_cached_buffers()
    assert pareprop.buffer_pool_statistics()["reserved_bytes"] <= reserved


def test_unknown_configuration_is_a_usage_error(capsys):
    from pareprop.__main__ import main
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "tiny-b3-d9"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown configuration(s) tiny-b3-d9" in err
    assert "tiny-b4-d8" in err  # The known ones are listed.
