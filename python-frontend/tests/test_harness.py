"""The checking harness pareprop-run uses, called from Python through the C
API (pareprop.runtime.check_schedules): every schedule against ordinary
backprop on the same inputs, and finite differences of the loss."""

import pytest

import pareprop


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_schedules_match_ordinary_backprop(depth):
    module, inputs = pareprop.zoo.revmlp(depth=depth)
    text = pareprop.export(module, inputs)
    report = pareprop.runtime.check_schedules(
        text, schedules=("stored", "vanilla", "pareprop", "list"),
        fd_samples=4)
    assert report["passed"], report
    names = [s["schedule"] for s in report["schedules"]]
    assert names == ["stored", "vanilla", "pareprop", "list"]
    # The reference has no error; the others are within the f32 tolerance.
    assert report["schedules"][0]["error"] == 0
    assert report["tolerance"] == pytest.approx(1e-4)
    losses = {s["loss"] for s in report["schedules"]}
    assert max(losses) - min(losses) <= 1e-4 * max(abs(x) for x in losses)
    fd = report["finite_differences"]
    assert fd["passed"] and fd["worst_error"] <= fd["tolerance"] == 1e-2


def test_loss_is_the_models():
    # The harness draws its own inputs, so compare the loss it reports with
    # the compiled step's on the same harness: both stored, same seed.
    module, inputs = pareprop.zoo.revmlp(depth=2)
    text = pareprop.export(module, inputs)
    a = pareprop.runtime.check_schedules(text, schedules=("stored",), seed=3)
    b = pareprop.runtime.check_schedules(text, schedules=("pareprop",), seed=3)
    c = pareprop.runtime.check_schedules(text, schedules=("stored",), seed=4)
    assert a["schedules"][0]["loss"] == pytest.approx(
        b["schedules"][0]["loss"], rel=1e-5)
    assert a["schedules"][0]["loss"] != c["schedules"][0]["loss"]


def test_failing_checks_are_reported():
    module, inputs = pareprop.zoo.revmlp(depth=2)
    text = pareprop.export(module, inputs)
    # Finite differences are never exact: a zero tolerance fails.
    report = pareprop.runtime.check_schedules(
        text, schedules=("stored",), fd_samples=2, fd_rtol=0.0)
    assert not report["passed"]
    assert not report["finite_differences"]["passed"]
    assert report["finite_differences"]["worst_error"] > 0


def test_bad_requests_raise():
    module, inputs = pareprop.zoo.revmlp(depth=1)
    text = pareprop.export(module, inputs)
    with pytest.raises(pareprop.CompileError, match="unknown schedule 'fast'"):
        pareprop.runtime.check_schedules(text, schedules=("stored", "fast"))
    with pytest.raises(pareprop.CompileError, match="set by the schedule"):
        pareprop.runtime.check_schedules(text, options="mode=stored")
    with pytest.raises(pareprop.CompileError, match="could not parse"):
        pareprop.runtime.check_schedules("func.func @f(", schedules=("stored",))
