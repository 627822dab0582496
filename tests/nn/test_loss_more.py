"""More losses: multi_margin, multilabel_margin, triplet_margin_with_distance (tinynn/nn/functional/loss_margin.py)
and CTC (tinynn/ops/ctc.py, tinynn/nn/functional/ctc.py), with their modules in tinynn/nn/loss.py.
float64 gradchecks with non-default arguments, PyTorch parity of values and gradients, hand-computed values, errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

REDUCTIONS = ["none", "mean", "sum"]
SCORES = rand(4, 5, seed=3)
CLASSES = np.array([1, 0, 4, 2])
WEIGHT = rand(5, seed=4, low=0.5, high=2.0)
# each target row: target classes first, then -1 (what follows the -1 is ignored); a repeated class counts twice
LABELS = np.array([[1, 2, -1, 0, 0], [3, 3, -1, 0, 0], [0, 1, 2, 3, -1], [-1, 0, 1, 2, 3]])


def _tf():
    return torch.nn.functional


# (name, ours(*inputs, reduction), theirs(*inputs, reduction), inputs, which inputs are differentiable)
MARGIN_CASES = [
    ("multi_margin p=1", lambda x, t, r: F.multi_margin_loss(x, t, reduction=r),
     lambda x, t, r: _tf().multi_margin_loss(x, t, reduction=r), (SCORES, CLASSES)),
    ("multi_margin p=2 margin weight", lambda x, t, r: F.multi_margin_loss(x, t, 2, 0.7, tinynn.tensor(WEIGHT), reduction=r),
     lambda x, t, r: _tf().multi_margin_loss(x, t, 2, 0.7, torch.tensor(WEIGHT), reduction=r), (SCORES, CLASSES)),
    ("multi_margin unbatched", lambda x, t, r: F.multi_margin_loss(x, t, margin=2.0, reduction=r),
     lambda x, t, r: _tf().multi_margin_loss(x, t, margin=2.0, reduction=r), (SCORES[0], np.array(3))),
    ("multilabel_margin", lambda x, t, r: F.multilabel_margin_loss(x, t, reduction=r),
     lambda x, t, r: _tf().multilabel_margin_loss(x, t, reduction=r), (SCORES, LABELS)),
    ("multilabel_margin unbatched", lambda x, t, r: F.multilabel_margin_loss(x, t, reduction=r),
     lambda x, t, r: _tf().multilabel_margin_loss(x, t, reduction=r), (SCORES[1], LABELS[2])),
    ("triplet_with_distance default", lambda a, p, n, r: F.triplet_margin_with_distance_loss(a, p, n, reduction=r),
     lambda a, p, n, r: _tf().triplet_margin_with_distance_loss(a, p, n, reduction=r),
     (rand(3, 4, seed=5), rand(3, 4, seed=6), rand(3, 4, seed=7))),
    ("triplet_with_distance cosine swap",
     lambda a, p, n, r: F.triplet_margin_with_distance_loss(
         a, p, n, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), margin=0.8, swap=True, reduction=r),
     lambda a, p, n, r: _tf().triplet_margin_with_distance_loss(
         a, p, n, distance_function=lambda x, y: 1 - _tf().cosine_similarity(x, y), margin=0.8, swap=True, reduction=r),
     (rand(3, 4, seed=5), rand(3, 4, seed=6), rand(3, 4, seed=7))),
    ("triplet p=1 swap", lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 3.0, 1, 1e-3, True, reduction=r),
     lambda a, p, n, r: _tf().triplet_margin_loss(a, p, n, 3.0, 1, 1e-3, True, reduction=r),
     (rand(5, seed=5), rand(5, seed=6), rand(5, seed=7))),
    ("soft_margin 0-d", lambda x, y, r: F.soft_margin_loss(x, y, reduction=r),
     lambda x, y, r: _tf().soft_margin_loss(x, y, reduction=r), (np.array(0.3), np.array(-1.0))),
]
IDS = [c[0] for c in MARGIN_CASES]


def _differentiable(inputs):
    return [a.dtype.kind == "f" and i < len(inputs) - (0 if len(inputs) == 3 else 1) for i, a in enumerate(inputs)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, ours, theirs, inputs", MARGIN_CASES, ids=IDS)
def test_margin_loss_gradcheck(name, ours, theirs, inputs, reduction):
    wanted = _differentiable(inputs)
    fixed = [tinynn.tensor(a) for a in inputs]

    def run(*grads):
        args = list(fixed)
        for i, g in zip([i for i, w in enumerate(wanted) if w], grads):
            args[i] = g
        return ours(*args, reduction)

    check_gradients(run, *[a for a, w in zip(inputs, wanted) if w])


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, ours, theirs, inputs", MARGIN_CASES, ids=IDS)
def test_margin_loss_matches_torch(name, ours, theirs, inputs, reduction):
    assert_matches_torch(lambda *a: ours(*a, reduction), lambda *a: theirs(*a, reduction), *inputs,
                         differentiable=_differentiable(inputs))


@needs_torch
def test_margins_met_exactly_get_torchs_zero_gradient():
    """Ties: integer scores make some margins exactly 0; PyTorch's kernels count only z > 0."""
    x = np.round(SCORES * 2) / 2
    for ours, theirs, t in [(F.multi_margin_loss, _tf().multi_margin_loss, CLASSES),
                            (F.multilabel_margin_loss, _tf().multilabel_margin_loss, LABELS)]:
        assert_matches_torch(lambda x: ours(x, tinynn.tensor(t)), lambda x: theirs(x, torch.tensor(t)), x)


def test_multi_margin_hand_computed():
    """x = (1, 3, 2), y = 0, margin 1: terms max(0, 1 - 1 + 3) = 3 and max(0, 1 - 1 + 2) = 2, divided by C = 3."""
    x = tinynn.tensor([[1.0, 3.0, 2.0]], requires_grad=True)
    loss = F.multi_margin_loss(x, tinynn.tensor([0]))
    assert loss.item() == pytest.approx(5 / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-2 / 3, 1 / 3, 1 / 3]])
    squared = F.multi_margin_loss(x, tinynn.tensor([0]), p=2, weight=tinynn.tensor([0.5, 1.0, 1.0]))
    assert squared.item() == pytest.approx(0.5 * (9 + 4) / 3)


def test_multilabel_margin_hand_computed():
    """targets {0, 2} of x = (0.1, 0.2, 0.4, 0.8): pairs (j, i) with i in {1, 3}: sum of max(0, 1 - x_j + x_i) / 4."""
    x = tinynn.tensor([0.1, 0.2, 0.4, 0.8])
    expected = ((1 - 0.1 + 0.2) + (1 - 0.1 + 0.8) + (1 - 0.4 + 0.2) + (1 - 0.4 + 0.8)) / 4
    assert F.multilabel_margin_loss(x, tinynn.tensor([0, 2, -1, 1])).item() == pytest.approx(expected)


@needs_torch
@pytest.mark.parametrize("cls, kwargs, inputs", [
    ("MultiMarginLoss", dict(p=2, margin=0.5, weight=WEIGHT), (SCORES, CLASSES)),
    ("MultiLabelMarginLoss", dict(reduction="sum"), (SCORES, LABELS)),
    ("TripletMarginWithDistanceLoss", dict(margin=2.0, swap=True), (rand(3, 4, seed=5), rand(3, 4, seed=6),
                                                                     rand(3, 4, seed=7))),
], ids=["MultiMarginLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss"])
def test_loss_modules_match_torch(cls, kwargs, inputs):
    ours_kw = {k: tinynn.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours, theirs = getattr(nn, cls)(**ours_kw), getattr(torch.nn, cls)(**theirs_kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_matches_torch(ours, theirs, *inputs, differentiable=_differentiable(inputs))


def test_margin_errors():
    x = tinynn.tensor(SCORES)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, tinynn.tensor(CLASSES), p=3)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, tinynn.tensor([1, 2, 5, 0]))
    with pytest.raises(RuntimeError, match="expected target size \\(4,\\), got \\(2,\\)"):
        F.multi_margin_loss(x, tinynn.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="expected an int64 target"):
        F.multi_margin_loss(x, tinynn.tensor([1.0, 2.0, 4.0, 0.0]))
    with pytest.raises(RuntimeError, match="inconsistent weight size, expected \\(5,\\)"):
        F.multi_margin_loss(x, tinynn.tensor(CLASSES), weight=tinynn.ones(4, dtype=tinynn.float64))
    with pytest.raises(RuntimeError, match="expected a non-empty \\(C,\\) or \\(N, C\\) input"):
        F.multi_margin_loss(x.reshape(4, 5, 1), tinynn.tensor(CLASSES))
    with pytest.raises(RuntimeError, match="inconsistent target size: \\(1, 5\\) for input of size: \\(4, 5\\)"):
        F.multilabel_margin_loss(x, tinynn.tensor(LABELS[:1]))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multilabel_margin_loss(x, tinynn.tensor(np.where(LABELS == 3, 7, LABELS)))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match="same number of dimensions, but got: anchor 2D, positive 1D"):
        F.triplet_margin_loss(x, x[0], x)
    with pytest.raises(RuntimeError, match="must broadcast to the input's shape"):
        F.soft_margin_loss(x[:, :1], x)
    with pytest.raises(ValueError, match="average is not a valid value for reduction"):
        F.multilabel_margin_loss(x, tinynn.tensor(LABELS), reduction="average")


# ---------------------------------------------------------------------------- CTC
T, N, C = 7, 4, 5
LOGITS = rand(T, N, C, seed=11)
PADDED = np.array([[1, 2, 2, 3], [4, 4, 0, 0], [1, 0, 0, 0], [2, 3, 1, 4]])
INPUT_LENGTHS, TARGET_LENGTHS = [7, 6, 5, 7], [4, 2, 0, 3]
CONCATENATED = np.concatenate([row[:n] for row, n in zip(PADDED, TARGET_LENGTHS)])
IMPOSSIBLE = np.array([[1, 1, 1, 1], [4, 4, 0, 0], [1, 0, 0, 0], [2, 3, 1, 4]])   # 1,1,1,1 needs T >= 7 steps

# (name, targets, input_lengths, target_lengths, keyword arguments)
CTC_CASES = [
    ("padded lists", PADDED, INPUT_LENGTHS, TARGET_LENGTHS, {}),
    ("padded tensors, sum", PADDED, np.array(INPUT_LENGTHS), np.array(TARGET_LENGTHS), dict(reduction="sum")),
    ("concatenated tuples, none", CONCATENATED, tuple(INPUT_LENGTHS), tuple(TARGET_LENGTHS), dict(reduction="none")),
    ("blank=2", np.where(PADDED == 2, 0, PADDED), INPUT_LENGTHS, TARGET_LENGTHS, dict(blank=2)),
    ("infeasible, zero_infinity", IMPOSSIBLE, [6, 6, 5, 7], TARGET_LENGTHS, dict(zero_infinity=True)),
    ("infeasible, none", IMPOSSIBLE, [6, 6, 5, 7], TARGET_LENGTHS, dict(reduction="none", zero_infinity=True)),
    ("empty input", PADDED, [7, 0, 0, 7], [4, 0, 1, 3], dict(reduction="none", zero_infinity=True)),
]
CTC_IDS = [c[0] for c in CTC_CASES]


def _lengths(value, lib):
    return lib.tensor(value) if isinstance(value, np.ndarray) else value


def _ctc(lib, functional, targets, input_lengths, target_lengths, kwargs, through_log_softmax=True):
    def loss(x):
        log_probs = functional.log_softmax(x, -1) if through_log_softmax else x
        return functional.ctc_loss(log_probs, lib.tensor(targets), _lengths(input_lengths, lib),
                                   _lengths(target_lengths, lib), **kwargs)
    return loss


@pytest.mark.parametrize("name, targets, il, tl, kwargs", CTC_CASES, ids=CTC_IDS)
def test_ctc_gradcheck(name, targets, il, tl, kwargs):
    """Through log_softmax (PyTorch's gradient w.r.t. log_probs assumes normalised inputs; see tinynn/ops/ctc.py)."""
    check_gradients(_ctc(tinynn, F, targets, il, tl, kwargs), LOGITS, second_order=False)


@needs_torch
@pytest.mark.parametrize("through_log_softmax", [True, False], ids=["logits", "log_probs"])
@pytest.mark.parametrize("name, targets, il, tl, kwargs", CTC_CASES, ids=CTC_IDS)
def test_ctc_matches_torch(name, targets, il, tl, kwargs, through_log_softmax):
    """Values and gradients, both w.r.t. logits and w.r.t. the log-probabilities directly (PyTorch's formula)."""
    x = LOGITS if through_log_softmax else np.log(np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True))
    assert_matches_torch(_ctc(tinynn, F, targets, il, tl, kwargs, through_log_softmax),
                         _ctc(torch, _tf(), targets, il, tl, kwargs, through_log_softmax), x)


@needs_torch
def test_ctc_infeasible_target_gives_inf_loss_and_torchs_nan_gradient():
    x = tinynn.tensor(LOGITS, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, -1), tinynn.tensor(IMPOSSIBLE), [6, 6, 5, 7], TARGET_LENGTHS, reduction="none")
    assert math.isinf(loss[0].item()) and np.isfinite(loss[1:].detach().numpy()).all()
    loss.sum().backward()
    xt = torch.tensor(LOGITS, requires_grad=True)
    _tf().ctc_loss(xt.log_softmax(-1), torch.tensor(IMPOSSIBLE), [6, 6, 5, 7], TARGET_LENGTHS, reduction="none").sum().backward()
    np.testing.assert_array_equal(np.isnan(x.grad.numpy()), np.isnan(xt.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy()[:, 1:], xt.grad.numpy()[:, 1:], rtol=1e-7, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ctc_unbatched_and_module_match_torch(dtype):
    x = LOGITS[:, 0].astype(dtype)
    ours, theirs = nn.CTCLoss(blank=4, reduction="sum"), torch.nn.CTCLoss(blank=4, reduction="sum")
    assert repr(ours) == repr(theirs)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else {}
    assert_matches_torch(lambda v: ours(F.log_softmax(v, -1), tinynn.tensor([1, 2, 2]), tinynn.tensor(6), tinynn.tensor(3)),
                         lambda v: theirs(v.log_softmax(-1), torch.tensor([1, 2, 2]), torch.tensor(6), torch.tensor(3)),
                         x, **tol)
    out = F.ctc_loss(F.log_softmax(tinynn.tensor(x), -1), tinynn.tensor([1, 2, 2]), [6], [3], reduction="none")
    assert out.shape == () and out.dtype == getattr(tinynn, dtype)


def test_ctc_hand_computed():
    """T = 2, classes {blank, a}, target "a": the alignments aa, -a, a- read as "a", so p = 3/4 at uniform probabilities.

    d loss / d logits = softmax - posterior: the posterior of "a" at t = 0 is p(aa or a-)/p = 2/3."""
    logits = tinynn.zeros(2, 1, 2, dtype=tinynn.float64, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(logits, -1), tinynn.tensor([[1]]), [2], [1], reduction="sum")
    assert loss.item() == pytest.approx(-math.log(0.75))
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy()[:, 0], [[0.5 - 1 / 3, 0.5 - 2 / 3]] * 2)
    # 'mean' divides by the target length: target "aa" over T = 3 needs a blank between: only "a-a"
    three = F.ctc_loss(F.log_softmax(tinynn.zeros(3, 1, 2, dtype=tinynn.float64), -1), tinynn.tensor([[1, 1]]), [3], [2])
    assert three.item() == pytest.approx(3 * math.log(2) / 2)


def test_ctc_second_derivative_is_refused():
    x = tinynn.tensor(LOGITS, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, -1), tinynn.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS)
    (grad,) = tinynn.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="second derivative is not implemented"):
        grad.sum().backward()


def test_ctc_errors():
    lp = F.log_softmax(tinynn.tensor(LOGITS), -1)
    targets = tinynn.tensor(PADDED)
    with pytest.raises(RuntimeError, match="input_lengths to have value at most 7 .* but got value 8"):
        F.ctc_loss(lp, targets, [8, 6, 5, 7], TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="target_lengths to have value at least 0, but got value -1"):
        F.ctc_loss(lp, targets, INPUT_LENGTHS, [4, 2, -1, 3])
    with pytest.raises(RuntimeError, match="shorter than the longest target length 5"):
        F.ctc_loss(lp, targets, INPUT_LENGTHS, [5, 2, 0, 3])
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size \\(4\\)"):
        F.ctc_loss(lp, targets, [7, 6], TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="input_lengths must be integral"):
        F.ctc_loss(lp, targets, tinynn.tensor([7.0, 6.0, 5.0, 7.0]), TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="blank must be in label range \\[0, 5\\)"):
        F.ctc_loss(lp, targets, INPUT_LENGTHS, TARGET_LENGTHS, blank=5)
    with pytest.raises(RuntimeError, match="sum\\(target_lengths\\) = 9 entries, got 8"):
        F.ctc_loss(lp, tinynn.tensor(CONCATENATED[:-1]), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="target class indices must be in \\[0, 5\\)"):
        F.ctc_loss(lp, tinynn.tensor(np.where(PADDED == 4, 9, PADDED)), INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(RuntimeError, match="expected floating-point log_probs of shape \\(T, N, C\\) or \\(T, C\\)"):
        F.ctc_loss(lp[0, 0], targets, INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(ValueError, match="average is not a valid value for reduction"):
        F.ctc_loss(lp, targets, INPUT_LENGTHS, TARGET_LENGTHS, reduction="average")
