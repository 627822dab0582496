"""Losses (tinynn/nn/loss.py, nn/functional/loss.py, the fused ops in tinynn/ops/loss.py):
float64 gradchecks (input, and target where PyTorch differentiates it), PyTorch parity for every
configuration, numerical stability, and the errors for malformed targets."""
import itertools

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

if torch is not None:
    TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]


def _t(array, ours: bool):
    """The same constant (class weights, index targets) for tinynn or for PyTorch."""
    if array is None:
        return None
    return tinynn.tensor(array) if ours else torch.tensor(array)


# ---------------------------------------------------------------------------- cross-entropy cases
LAYOUTS = {"NC": (4, 5), "NCdd": (3, 4, 2, 3), "C": (5,), "NCd": (2, 4, 2)}  # NCd: small, for gradchecks


def _ce_case(layout, probabilities, ignore, seed=0):
    """Logits, a target (indices, some equal to ignore_index when ``ignore``, or probabilities), C."""
    rng = np.random.default_rng(seed)
    shape = LAYOUTS[layout]
    classes = shape[0] if len(shape) == 1 else shape[1]
    x = rng.standard_normal(shape) * 2
    if probabilities:
        p = rng.random(shape)
        return x, p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True), classes
    t = rng.integers(0, classes, size=shape[:1] + shape[2:] if len(shape) > 1 else ())
    if ignore is not None and t.ndim:
        t.flat[::3] = ignore  # every third position ignored
    return x, np.asarray(t, dtype=np.int64), classes


CE_CASES = [  # (layout, probabilities, weighted, ignore_index or None, label_smoothing)
    (layout, probs, weighted, ignore, smoothing)
    for layout, probs, weighted, ignore, smoothing in itertools.product(
        ["NC", "NCdd", "C"], [False, True], [False, True], [None, -100, 1], [0.0, 0.25])
    if not (probs and ignore is not None)  # ignore_index applies to class indices only
]


def _ce_kwargs(classes, weighted, ignore, smoothing, reduction, ours, seed=7):
    weight = rand(classes, seed=seed, low=0.5, high=2.0) if weighted else None
    kwargs = {"weight": _t(weight, ours), "reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kwargs["ignore_index"] = ignore
    return kwargs


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout,probs,weighted,ignore,smoothing", CE_CASES)
def test_cross_entropy_matches_torch(layout, probs, weighted, ignore, smoothing, reduction):
    x, target, classes = _ce_case(layout, probs, ignore)
    ours = _ce_kwargs(classes, weighted, ignore, smoothing, reduction, True)
    theirs = _ce_kwargs(classes, weighted, ignore, smoothing, reduction, False)
    assert_matches_torch(lambda a, t: F.cross_entropy(a, t, **ours), lambda a, t: TF.cross_entropy(a, t, **theirs),
                         x, target)  # probability targets get their gradient compared too


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout,probs,weighted,ignore,smoothing",
                         [("NCd",) + c[1:] for c in CE_CASES if c[0] == "NCdd"] +
                         [c for c in CE_CASES if c[0] == "C" and c[3] is None])
def test_cross_entropy_gradcheck(layout, probs, weighted, ignore, smoothing, reduction):
    x, target, classes = _ce_case(layout, probs, ignore, seed=1)
    kwargs = _ce_kwargs(classes, weighted, ignore, smoothing, reduction, True)
    second = weighted and smoothing > 0 and layout == "NCd"  # second order on the richest cases
    if probs:  # differentiable in the logits and in the target probabilities
        check_gradients(lambda a, p: F.cross_entropy(a, p, **kwargs), x, target, second_order=second)
    else:
        t = tinynn.tensor(target)
        check_gradients(lambda a: F.cross_entropy(a, t, **kwargs), x, second_order=second)


@needs_torch
@pytest.mark.parametrize("smoothing,weighted", [(0.0, False), (0.2, True)])
def test_cross_entropy_all_targets_ignored_is_nan_with_zero_gradient(smoothing, weighted):
    x, target = rand(3, 4, seed=2), np.full(3, -100, dtype=np.int64)
    ours = _ce_kwargs(4, weighted, None, smoothing, "mean", True)
    theirs = _ce_kwargs(4, weighted, None, smoothing, "mean", False)
    a = leaf(x)
    loss = F.cross_entropy(a, tinynn.tensor(target), **ours)
    assert np.isnan(loss.item())
    loss.backward()
    assert_close(a.grad, np.zeros((3, 4)), atol=0)
    assert_matches_torch(lambda a, t: F.cross_entropy(a, t, **ours), lambda a, t: TF.cross_entropy(a, t, **theirs),
                         x, target)


def test_cross_entropy_is_stable_for_huge_logits_and_equals_the_definition():
    x = np.array([[1000.0, 0.0, -1000.0], [3.0, 1.0, 0.5]])
    t = tinynn.tensor([1, 0])
    loss = F.cross_entropy(leaf(x), t, reduction="none").detach().numpy()
    assert np.isfinite(loss).all()
    assert_close(loss[0], 1000.0)
    assert_close(loss[1], -np.log(np.exp(3.0) / np.exp([3.0, 1.0, 0.5]).sum()))


def test_cross_entropy_fused_equals_composite_log_softmax_nll():
    x, t = leaf(rand(6, 5, seed=3)), tinynn.tensor(np.array([0, 4, 2, 2, 1, 3]))
    w = tinynn.tensor(rand(5, seed=4, low=0.5, high=2.0))
    F.cross_entropy(x, t, weight=w).backward()
    x2 = leaf(x.detach().numpy())
    F.nll_loss(F.log_softmax(x2, 1), t, weight=w).backward()
    assert_close(x.grad, x2.grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_float32_stays_float32():
    loss = F.cross_entropy(tinynn.randn(4, 3, requires_grad=True), tinynn.tensor([0, 1, 2, 0]))
    assert loss.dtype == tinynn.float32
    loss.backward()


@pytest.mark.parametrize("target,error,match", [
    (np.array([0.0, 1.0, 2.0, 1.0]), RuntimeError, "class probabilities and must have the input's shape"),
    (np.array([0, 1, 5, 1]), IndexError, "target class index 5 is out of range for 5 classes"),
    (np.array([0, 1, -3, 1]), IndexError, "target class index -3 is out of range"),
    (np.array([0, 1, 2]), ValueError, r"must have shape \(4,\), got \(3,\)"),
    (np.array([True, False, True, True]), RuntimeError, "got bool"),
])
def test_cross_entropy_rejects_malformed_targets(target, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(tinynn.randn(4, 5), tinynn.tensor(target))


def test_cross_entropy_rejects_bad_arguments():
    x, t = tinynn.randn(4, 5), tinynn.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="one entry per class"):
        F.cross_entropy(x, t, weight=tinynn.ones(4))
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        F.cross_entropy(x, tinynn.rand(4, 5), ignore_index=1)
    F.cross_entropy(x, tinynn.tensor([0, 1, 7, 3]), ignore_index=7)  # an ignored index may be out of range


# ---------------------------------------------------------------------------- NLL
NLL_CASES = list(itertools.product(["NC", "NCdd", "C"], [False, True], [None, 2]))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout,weighted,ignore", NLL_CASES)
def test_nll_loss_matches_torch_and_gradchecks(layout, weighted, ignore, reduction):
    x, target, classes = _ce_case(layout, False, ignore, seed=4)
    kw = [dict(_ce_kwargs(classes, weighted, ignore, 0.0, reduction, ours)) for ours in (True, False)]
    for k in kw:
        k.pop("label_smoothing")
    assert_matches_torch(lambda a, t: F.nll_loss(a, t, **kw[0]), lambda a, t: TF.nll_loss(a, t, **kw[1]), x, target)
    x, target, _ = _ce_case("NCd" if layout == "NCdd" else layout, False, ignore, seed=5)  # smaller, same layout
    t = tinynn.tensor(target)
    check_gradients(lambda a: F.nll_loss(a, t, **kw[0]), x, second_order=False)


@needs_torch
def test_nll_loss_all_ignored_and_errors():
    x, t = rand(3, 4, seed=1), np.full(3, 1, dtype=np.int64)
    assert_matches_torch(lambda a, t: F.nll_loss(a, t, ignore_index=1),
                         lambda a, t: TF.nll_loss(a, t, ignore_index=1), x, t)
    with pytest.raises(RuntimeError, match=r"expected class indices of an integer dtype \(int64\), got float64"):
        F.nll_loss(leaf(x), leaf(x))
    with pytest.raises(IndexError, match="out of range"):
        F.nll_loss(leaf(x), tinynn.tensor([0, 4, 1]))


# ---------------------------------------------------------------------------- regression losses
def _pair(shape=(3, 4), seed=0):
    a, b = rand(*shape, seed=seed) * 2, rand(*shape, seed=seed + 1) * 2
    return a, b


REGRESSION = [  # (name, our call, torch call)
    ("mse", lambda a, b, r: F.mse_loss(a, b, reduction=r), lambda a, b, r: TF.mse_loss(a, b, reduction=r)),
    ("l1", lambda a, b, r: F.l1_loss(a, b, reduction=r), lambda a, b, r: TF.l1_loss(a, b, reduction=r)),
    ("smooth_l1", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r),
     lambda a, b, r: TF.smooth_l1_loss(a, b, reduction=r)),
    ("smooth_l1 beta=0.5", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5),
     lambda a, b, r: TF.smooth_l1_loss(a, b, reduction=r, beta=0.5)),
    ("smooth_l1 beta=0", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.0),
     lambda a, b, r: TF.smooth_l1_loss(a, b, reduction=r, beta=0.0)),
    ("huber", lambda a, b, r: F.huber_loss(a, b, reduction=r), lambda a, b, r: TF.huber_loss(a, b, reduction=r)),
    ("huber delta=0.3", lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=0.3),
     lambda a, b, r: TF.huber_loss(a, b, reduction=r, delta=0.3)),
]


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,ours,theirs", REGRESSION, ids=[c[0] for c in REGRESSION])
def test_regression_losses_match_torch_and_gradcheck(name, ours, theirs, reduction):
    a, b = _pair()
    assert_matches_torch(lambda x, y: ours(x, y, reduction), lambda x, y: theirs(x, y, reduction), a, b)
    check_gradients(lambda x, y: ours(x, y, reduction), a, b, second_order=name == "mse")


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_elementwise_weighted_regression_losses_match_torch(name, reduction):
    a, b = _pair()
    w = rand(3, 4, seed=5, low=0.1, high=2.0)
    assert_matches_torch(lambda x, y: getattr(F, name)(x, y, reduction=reduction, weight=tinynn.tensor(w)),
                         lambda x, y: getattr(TF, name)(x, y, reduction=reduction, weight=torch.tensor(w)), a, b)


def test_regression_modules_and_legacy_reduction_arguments():
    a, b = leaf(rand(2, 3, seed=1)), leaf(rand(2, 3, seed=2))
    d = a.detach().numpy() - b.detach().numpy()
    assert_close(nn.MSELoss()(a, b), (d ** 2).mean())
    assert_close(nn.MSELoss(reduction="sum")(a, b), (d ** 2).sum())
    assert_close(nn.L1Loss(reduce=False)(a, b), np.abs(d))
    assert_close(nn.L1Loss(size_average=False)(a, b), np.abs(d).sum())
    assert_close(nn.SmoothL1Loss(beta=10.0)(a, b), (d ** 2 / 20).mean())
    assert_close(nn.HuberLoss(delta=0.01)(a, b), (0.01 * (np.abs(d) - 0.005)).mean())
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(a, b[0])


def test_mse_is_one_fused_op_where_it_can_be_and_composite_elsewhere():
    a, b = leaf(rand(3, 4, seed=1)), leaf(rand(3, 4, seed=2))
    for reduction in ("mean", "sum"):
        loss = F.mse_loss(a, b, reduction=reduction)
        assert type(loss.grad_fn).__name__ == "SquaredError" and loss.dtype == a.dtype
    f32 = F.mse_loss(a.float(), b.float())
    assert f32.dtype == tinynn.float32 and type(f32.grad_fn).__name__ == "SquaredError"
    assert type(F.mse_loss(a, b, reduction="none").grad_fn).__name__ != "SquaredError"
    assert type(F.mse_loss(a.float(), b).grad_fn).__name__ != "SquaredError"      # float64 target: promoted
    with pytest.warns(UserWarning, match="different to the input size"):
        broadcast = F.mse_loss(a, b[:1])                                         # broadcast: composite
    assert_close(broadcast, ((a.detach().numpy() - b.detach().numpy()[:1]) ** 2).mean())
    check_gradients(lambda x: F.mse_loss(x, b[:1].detach().expand(3, 4), reduction="sum"), a.detach().numpy())
    assert F.mse_loss(tinynn.zeros(0), tinynn.zeros(0)).isnan()                   # empty: nan, as in PyTorch


# ---------------------------------------------------------------------------- binary cross-entropy
@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch_and_gradchecks(weighted, reduction):
    p, y = rand(3, 4, seed=1, low=0.05, high=0.95), rand(3, 4, seed=2, low=0.0, high=1.0)
    w = rand(4, seed=3, low=0.5, high=2.0) if weighted else None
    assert_matches_torch(lambda x, t: F.binary_cross_entropy(x, t, _t(w, True), reduction=reduction),
                         lambda x, t: TF.binary_cross_entropy(x, t, _t(w, False), reduction=reduction), p, y)
    check_gradients(lambda x, t: F.binary_cross_entropy(x, t, _t(w, True), reduction=reduction), p, y,
                    second_order=weighted and reduction == "mean")


@needs_torch
def test_bce_at_probabilities_0_and_1_matches_torch_clamp():
    p, y = np.array([0.0, 1.0, 0.0, 1.0, 1e-50]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    # input gradient only: PyTorch's target gradient uses unclamped logs (inf at 0 and 1), ours
    # is the derivative of the clamped loss it computes
    assert_matches_torch(lambda x, t: F.binary_cross_entropy(x, t, reduction="none"),
                         lambda x, t: TF.binary_cross_entropy(x, t, reduction="none"), p, y,
                         differentiable=[True, False])
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(tinynn.tensor([0.5, 1.5]), tinynn.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="must have the input's shape"):
        F.binary_cross_entropy(tinynn.tensor([[0.5, 0.5]]), tinynn.tensor([0.0, 1.0]))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,pos_weighted", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits_matches_torch_and_gradchecks(weighted, pos_weighted, reduction):
    z, y = rand(3, 4, seed=1) * 3, rand(3, 4, seed=2, low=0.0, high=1.0)
    w = rand(3, 1, seed=3, low=0.5, high=2.0) if weighted else None
    pw = rand(4, seed=4, low=0.5, high=3.0) if pos_weighted else None

    def ours(x, t):
        return F.binary_cross_entropy_with_logits(x, t, _t(w, True), reduction=reduction, pos_weight=_t(pw, True))

    assert_matches_torch(ours, lambda x, t: TF.binary_cross_entropy_with_logits(
        x, t, _t(w, False), reduction=reduction, pos_weight=_t(pw, False)), z, y)
    check_gradients(ours, z, y, second_order=reduction == "sum")


@needs_torch
def test_bce_with_logits_is_finite_and_exact_at_huge_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 30.0, -30.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    pw = np.array([2.0])
    for kwargs in ({}, {"pos_weight": pw}):
        ours = {k: tinynn.tensor(v) for k, v in kwargs.items()}
        theirs = {k: torch.tensor(v) for k, v in kwargs.items()}
        a = leaf(z)
        loss = F.binary_cross_entropy_with_logits(a, tinynn.tensor(y), reduction="none", **ours)
        assert np.isfinite(loss.detach().numpy()).all()
        assert_close(loss[:4], np.array([1e4, 1e4, 0.0, 0.0]) * [1, kwargs and 2 or 1, 1, 1])
        assert_matches_torch(
            lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none", **ours),
            lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction="none", **theirs), z, y)


def test_bce_with_logits_gradient_at_zero_logit_is_sigmoid_minus_target():
    a = leaf(np.zeros(2))
    F.binary_cross_entropy_with_logits(a, tinynn.tensor([1.0, 0.0]), reduction="sum").backward()
    assert_close(a.grad, [-0.5, 0.5])


# ---------------------------------------------------------------------------- KL divergence
@needs_torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # PyTorch's note on kl_div's 'mean'
@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch_and_gradchecks(reduction, log_target):
    logq = rand(3, 4, seed=1)
    logq = logq - np.log(np.exp(logq).sum(1, keepdims=True))
    p = rand(3, 4, seed=2, low=0.1, high=1.0)
    p = p / p.sum(1, keepdims=True)
    target = np.log(p) if log_target else p
    assert_matches_torch(lambda a, t: F.kl_div(a, t, reduction=reduction, log_target=log_target),
                         lambda a, t: TF.kl_div(a, t, reduction=reduction, log_target=log_target), logq, target)
    check_gradients(lambda a, t: F.kl_div(a, t, reduction=reduction, log_target=log_target), logq, target,
                    second_order=False)


@needs_torch
def test_kl_div_zero_target_contributes_zero():
    logq, p = np.log(np.array([[0.5, 0.25, 0.25]])), np.array([[0.0, 0.5, 0.5]])
    out = F.kl_div(leaf(logq), tinynn.tensor(p), reduction="sum")
    assert_close(out, 0.5 * np.log(0.5 / 0.25) * 2)
    assert_matches_torch(lambda a, t: F.kl_div(a, t, reduction="sum"), lambda a, t: TF.kl_div(a, t, reduction="sum"),
                         logq, p, differentiable=[True, False])


# ---------------------------------------------------------------------------- margin, embedding, likelihood
def _signs(n, seed):
    return np.where(np.random.default_rng(seed).random(n) < 0.5, -1.0, 1.0)


W4 = rand(4, seed=9, low=0.5, high=2)  # class weights for multilabel_soft_margin_loss
OTHER_LOSSES = [  # (name, our call, torch call, inputs, which inputs are differentiable)
    ("margin_ranking", lambda a, b, y, r: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
     lambda a, b, y, r: TF.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
     (rand(6, seed=1), rand(6, seed=2), _signs(6, 3)), [True, True, False]),
    ("hinge_embedding", lambda a, y, r: F.hinge_embedding_loss(a, y, margin=1.5, reduction=r),
     lambda a, y, r: TF.hinge_embedding_loss(a, y, margin=1.5, reduction=r),
     (rand(2, 5, seed=1, low=0.1, high=2.5), _signs(10, 4).reshape(2, 5)), [True, False]),
    ("soft_margin", lambda a, y, r: F.soft_margin_loss(a, y, reduction=r),
     lambda a, y, r: TF.soft_margin_loss(a, y, reduction=r), (rand(3, 4, seed=1) * 3, _signs(12, 5).reshape(3, 4)),
     [True, False]),
    ("multilabel_soft_margin", lambda a, y, r: F.multilabel_soft_margin_loss(a, y, tinynn.tensor(W4), reduction=r),
     lambda a, y, r: TF.multilabel_soft_margin_loss(a, y, torch.tensor(W4), reduction=r),
     (rand(3, 4, seed=1) * 2, (rand(3, 4, seed=2) > 0).astype(np.float64)), [True, False]),
    ("cosine_embedding", lambda a, b, y, r: F.cosine_embedding_loss(a, b, y, margin=-0.2, reduction=r),
     lambda a, b, y, r: TF.cosine_embedding_loss(a, b, y, margin=-0.2, reduction=r),
     (rand(5, 3, seed=1), rand(5, 3, seed=2), _signs(5, 6)), [True, True, False]),
    ("triplet", lambda a, p, n, r: F.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
     lambda a, p, n, r: TF.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
     (rand(4, 3, seed=1), rand(4, 3, seed=2), rand(4, 3, seed=3)), [True, True, True]),
    ("triplet p=1 swap", lambda a, p, n, r: F.triplet_margin_loss(a, p, n, margin=3.0, p=1, swap=True, reduction=r),
     lambda a, p, n, r: TF.triplet_margin_loss(a, p, n, margin=3.0, p=1, swap=True, reduction=r),
     (rand(4, 3, seed=1), rand(4, 3, seed=2), rand(4, 3, seed=3)), [True, True, True]),
    ("poisson_nll", lambda a, y, r: F.poisson_nll_loss(a, y, reduction=r),
     lambda a, y, r: TF.poisson_nll_loss(a, y, reduction=r), (rand(3, 4, seed=1), rand(3, 4, seed=2, low=0, high=4)),
     [True, True]),
    ("poisson_nll rate full", lambda a, y, r: F.poisson_nll_loss(a, y, log_input=False, full=True, reduction=r),
     lambda a, y, r: TF.poisson_nll_loss(a, y, log_input=False, full=True, reduction=r),
     (rand(3, 4, seed=1, low=0.2, high=3), rand(3, 4, seed=2, low=0.5, high=4)), [True, True]),
    ("gaussian_nll", lambda a, y, v, r: F.gaussian_nll_loss(a, y, v, reduction=r),
     lambda a, y, v, r: TF.gaussian_nll_loss(a, y, v, reduction=r),
     (rand(3, 4, seed=1), rand(3, 4, seed=2), rand(3, 4, seed=3, low=0.2, high=2)), [True, True, True]),
    ("gaussian_nll shared var full", lambda a, y, v, r: F.gaussian_nll_loss(a, y, v, full=True, reduction=r),
     lambda a, y, v, r: TF.gaussian_nll_loss(a, y, v, full=True, reduction=r),
     (rand(3, 4, seed=1), rand(3, 4, seed=2), rand(3, seed=3, low=0.2, high=2)), [True, True, True]),
]


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,ours,theirs,inputs,diff", OTHER_LOSSES, ids=[c[0] for c in OTHER_LOSSES])
def test_other_losses_match_torch_and_gradcheck(name, ours, theirs, inputs, diff, reduction):
    assert_matches_torch(lambda *a: ours(*a, reduction), lambda *a: theirs(*a, reduction), *inputs, differentiable=diff)
    args = [x if d else tinynn.tensor(x) for x, d in zip(inputs, diff)]
    check_gradients(lambda *a: ours(*a, reduction), *args, second_order=False)


@needs_torch
def test_gaussian_nll_clamps_small_variance_but_passes_its_gradient():
    x, y, v = rand(4, seed=1), rand(4, seed=2), np.array([1e-9, 0.5, 1e-8, 2.0])
    assert_matches_torch(lambda a, b, c: F.gaussian_nll_loss(a, b, c), lambda a, b, c: TF.gaussian_nll_loss(a, b, c),
                         x, y, v)
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(leaf(x), leaf(y), tinynn.tensor([-1.0, 1.0, 1.0, 1.0]))


# ---------------------------------------------------------------------------- modules
@needs_torch
def test_loss_modules_match_torch_modules_and_state_dicts():
    w, pw = rand(5, seed=1, low=0.5, high=2.0), rand(5, seed=2, low=0.5, high=2.0)
    x, p = rand(4, 5, seed=3), rand(4, 5, seed=4, low=0.05, high=0.95)
    idx = np.array([0, 4, -100, 2])
    cases = [  # (constructor name, kwargs with arrays, inputs, differentiable)
        ("CrossEntropyLoss", {"weight": w, "label_smoothing": 0.1, "reduction": "sum"}, (x, idx), None),
        ("CrossEntropyLoss", {"ignore_index": 2}, (x, np.array([0, 2, 2, 1])), None),
        ("NLLLoss", {"weight": w}, (x, idx), None),
        ("BCELoss", {"weight": w}, (p, p[::-1].copy()), None),
        ("BCEWithLogitsLoss", {"weight": w, "pos_weight": pw}, (x, p), None),
        ("MSELoss", {"reduction": "none"}, (x, p), None),
        ("L1Loss", {}, (x, p), None),
        ("SmoothL1Loss", {"beta": 0.4}, (x, p), None),
        ("HuberLoss", {"delta": 0.4}, (x, p), None),
        ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, (x, x[::-1].copy()), None),
        ("MultiLabelSoftMarginLoss", {"weight": w}, (x, (p > 0.5).astype(np.float64)), [True, False]),
        ("MarginRankingLoss", {"margin": 0.5}, (x[0], x[1], _signs(5, 1)), [True, True, False]),
        ("CosineEmbeddingLoss", {"margin": 0.1}, (x, p, _signs(4, 2)), [True, True, False]),
        ("TripletMarginLoss", {"margin": 1.5, "swap": True}, (x, p, x[::-1].copy()), None),
        ("PoissonNLLLoss", {"full": True}, (x, p * 4), None),
        ("GaussianNLLLoss", {"full": True}, (x, p, p + 0.5), None),
        ("HingeEmbeddingLoss", {"margin": 2.0}, (x, _signs(20, 3).reshape(4, 5)), [True, False]),
        ("SoftMarginLoss", {}, (x, _signs(20, 3).reshape(4, 5)), [True, False]),
    ]
    for name, kwargs, inputs, diff in cases:
        ours = getattr(nn, name)(**{k: _t(v, True) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        theirs = getattr(torch.nn, name)(**{k: _t(v, False) if isinstance(v, np.ndarray) else v
                                            for k, v in kwargs.items()})
        assert list(ours.state_dict()) == list(theirs.state_dict()), name
        assert repr(ours) == repr(theirs), name
        assert_matches_torch(ours, theirs, *inputs, differentiable=diff)


def test_cross_entropy_module_weight_is_a_buffer_that_follows_to():
    loss = nn.CrossEntropyLoss(weight=tinynn.ones(3))
    assert [name for name, _ in loss.named_buffers()] == ["weight"] and not list(loss.parameters())
    loss.double()
    assert loss.weight.dtype == tinynn.float64


@pytest.mark.parametrize("probs,weighted,smoothing,reduction", [(False, True, 0.2, "mean"), (False, False, 0.0, "none"),
                                                                 (True, True, 0.3, "sum"), (True, False, 0.0, "mean")])
def test_cross_entropy_graph_backward_equals_array_backward(probs, weighted, smoothing, reduction):
    """The create_graph=True backward (tinynn ops) gives the same numbers as the raw-array one."""
    x, target, classes = _ce_case("NCd", probs, -100 if not probs else None, seed=3)
    kwargs = _ce_kwargs(classes, weighted, None, smoothing, reduction, True)
    grads = []
    for create_graph in (False, True):
        inputs = [leaf(x)] + ([leaf(target)] if probs else [])
        t = inputs[1] if probs else tinynn.tensor(target)
        out = F.cross_entropy(inputs[0], t, **kwargs)
        grads.append(tinynn.autograd.grad(out, inputs, grad_outputs=tinynn.tensor(rand(*out.shape, seed=4)),
                                          create_graph=create_graph))
    for a, b in zip(*grads):
        assert_close(a, b, rtol=1e-12, atol=1e-14)


def test_cross_entropy_refuses_integer_logits():
    with pytest.raises(RuntimeError, match="floating point logits, got int64"):
        F.cross_entropy(tinynn.tensor([[1, 2]]), tinynn.tensor([0]))


def test_cross_entropy_of_float16_logits_accumulates_in_float32():
    logits = tinynn.zeros(2, 70000, dtype=tinynn.float16, requires_grad=True)
    loss = F.cross_entropy(logits, tinynn.tensor([1, 5]))
    assert loss.dtype == tinynn.float16 and abs(loss.item() - np.log(70000)) < 0.01   # a float16 sum of exps is inf
    loss.backward()
    assert logits.grad.dtype == tinynn.float16 and np.isfinite(logits.grad.numpy()).all()
