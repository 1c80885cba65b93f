"""Index inputs are checked like PyTorch checks them: an embedding id or a
class label out of range raises IndexError naming the input, the element
and the value, under every schedule, and the step does not run; a label
equal to cross_entropy's ignore_index is skipped, as in PyTorch."""

import copy

import pytest
import torch
import torch.nn.functional as F

import pareprop
from helpers import assert_matches, autograd

SCHEDULES = ["vanilla", "pareprop", "stored", "auto"]


def revbert():
    module, inputs = pareprop.zoo.revbert(depth=2, seq=6, dim=12, heads=2,
                                          vocab=20, classes=4)
    module.eval()
    return module, inputs


@pytest.fixture(scope="module")
def steps():
    module, inputs = revbert()
    return module, inputs, {s: pareprop.compile(module, inputs, schedule=s)
                            for s in SCHEDULES}


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("value", [20, 10**7, -1, -5])
def test_bad_token_id(steps, schedule, value):
    module, (ids, mask, labels), compiled = steps
    bad = ids.clone()
    bad[1, 2] = value
    with pytest.raises(IndexError):
        module(bad, mask, labels)
    with pytest.raises(IndexError) as e:
        compiled[schedule](bad, mask, labels)
    message = str(e.value)
    assert message.startswith("input 0 of MaskedClassificationLoss (ids of "
                              "nn.embedding at "), message
    assert f"element [1, 2] is {value}, outside [0, 20)" in message, message


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("value", [4, 10**6, -1])
def test_bad_label(steps, schedule, value):
    module, (ids, mask, labels), compiled = steps
    bad = labels.clone()
    bad[0] = value
    with pytest.raises(IndexError):
        module(ids, mask, bad)
    with pytest.raises(IndexError) as e:
        compiled[schedule](ids, mask, bad)
    message = str(e.value)
    assert message.startswith("input 2 of MaskedClassificationLoss (labels "
                              "of nn.cross_entropy at "), message
    assert (f"element [0] is {value}, outside [0, 4) and not the ignore "
            "index -100") in message, message


def test_first_bad_index_is_reported(steps):
    """Checks run in argument order, elements in row-major order."""
    module, (ids, mask, labels), compiled = steps
    bad_ids, bad_labels = ids.clone(), labels.clone()
    bad_ids[1, 4], bad_ids[1, 5], bad_labels[0] = 99, 98, 97
    with pytest.raises(IndexError, match=r"element \[1, 4\] is 99"):
        compiled["pareprop"](bad_ids, mask, bad_labels)
    # The step still runs on good inputs afterwards.
    loss, _ = compiled["pareprop"](ids, mask, labels)
    assert torch.isfinite(loss).all()


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_ignore_index_matches_autograd(steps, schedule):
    module, (ids, mask, labels), compiled = steps
    ignored = labels.clone()
    ignored[0] = -100
    ref_loss, ref_grads = autograd(module, (ids, mask, ignored))
    loss, grads = compiled[schedule](ids, mask, ignored)
    assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)
    # Ignoring a row changes the loss: the rule is not a no-op.
    full_loss, _ = autograd(module, (ids, mask, labels))
    assert abs(full_loss.item() - ref_loss.item()) > 1e-6


class CustomIgnore(torch.nn.Module):
    """RevBERT's loss with ignore_index = 1, a valid class."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, ids, pad_mask, labels):
        return F.cross_entropy(self.inner.model(ids, pad_mask), labels,
                               ignore_index=1)


@pytest.mark.parametrize("schedule", ["vanilla", "stored"])
def test_custom_ignore_index(schedule):
    inner, (ids, mask, labels) = revbert()
    module = CustomIgnore(copy.deepcopy(inner))
    labels = torch.tensor([1, 3])
    step = pareprop.compile(module, (ids, mask, labels), schedule=schedule)
    ref_loss, ref_grads = autograd(module, (ids, mask, labels))
    loss, grads = step(ids, mask, labels)
    assert_matches(loss, grads, ref_loss, ref_grads, 1e-4)
    # -100 is no ignore index here: out of range.
    with pytest.raises(IndexError, match="not the ignore index 1"):
        step(ids, mask, torch.tensor([-100, 3]))


def test_checks_off():
    """index-checks=false: no check (ids clamped to the table), no error."""
    module, (ids, mask, labels) = revbert()
    step = pareprop.compile(module, (ids, mask, labels), schedule="vanilla",
                            options="index-checks=false")
    bad = ids.clone()
    bad[0, 0] = 10**7
    loss, _ = step(bad, mask, labels)
    assert torch.isfinite(loss).all()
