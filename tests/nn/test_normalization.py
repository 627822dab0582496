"""Normalization layers (tinynn/nn/normalization.py, the fused op in tinynn/ops/normalization.py):
gradients (first and second order), PyTorch parity of outputs, gradients and running statistics,
state_dict layout, train/eval behaviour and errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, needs_torch, rand, torch


# ---------------------------------------------------------------------------- helpers
def _torch_twin(ours, theirs):
    """Load our module's state into the PyTorch module (float64) and return it."""
    theirs = theirs.double()  # first, so that loading keeps float64 precision
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return theirs


def _compare_step(ours, theirs, x, seed=5):
    """One forward + backward on both; compare outputs, input and parameter grads, and buffers."""
    ours.zero_grad()
    theirs.zero_grad()
    a, b = leaf(x), torch.tensor(x, requires_grad=True)
    out_a, out_b = ours(a), theirs(b)
    assert_close(out_a, out_b, what="output")
    g = rand(*out_a.shape, seed=seed)
    (out_a * tinynn.tensor(g)).sum().backward()
    (out_b * torch.tensor(g)).sum().backward()
    assert_close(a.grad, b.grad, what="input gradient")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, theirs_params[name].grad, what=f"{name} gradient")
    _compare_buffers(ours, theirs)


def _compare_buffers(ours, theirs):
    theirs_buffers = dict(theirs.named_buffers())
    assert set(dict(ours.named_buffers())) == set(theirs_buffers)
    for name, buf in ours.named_buffers():
        assert_close(buf, theirs_buffers[name], what=name)
        assert buf.grad_fn is None and not buf.requires_grad, f"{name} must stay outside the graph"


def _double(module):
    return module.double()


BATCH_NORMS = [  # (our class, torch class name, input shape)
    (nn.BatchNorm1d, "BatchNorm1d", (6, 3)),
    (nn.BatchNorm1d, "BatchNorm1d", (4, 3, 5)),
    (nn.BatchNorm2d, "BatchNorm2d", (3, 3, 4, 2)),
    (nn.BatchNorm3d, "BatchNorm3d", (2, 3, 2, 3, 2)),
]
BN_OPTIONS = [
    {},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
]


def _torch_has_options(torch_cls, options: dict) -> bool:
    """BatchNorm's ``bias`` argument is new in PyTorch 2.13: older versions are compared without it."""
    import inspect

    return set(options) <= set(inspect.signature(torch_cls.__init__).parameters)


def _random_affine(module, seed=3):
    """Non-trivial weight and bias, so that their gradients and effect are tested."""
    with tinynn.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(tinynn.tensor(rand(*p.shape, seed=seed + i, low=0.5, high=1.5)))


# ---------------------------------------------------------------------------- batch norm
@needs_torch
@pytest.mark.parametrize("cls,torch_name,shape", BATCH_NORMS)
@pytest.mark.parametrize("options", BN_OPTIONS)
def test_batch_norm_training_and_eval_match_torch(cls, torch_name, shape, options):
    if not _torch_has_options(getattr(torch.nn, torch_name), options):
        pytest.skip(f"this PyTorch ({torch.__version__}) has no {sorted(options)} for {torch_name}")
    ours = _double(cls(3, **options))
    _random_affine(ours)
    theirs = _torch_twin(ours, getattr(torch.nn, torch_name)(3, **options))
    for step in range(3):  # several steps: the running statistics accumulate
        _compare_step(ours, theirs, rand(*shape, seed=10 + step) * 2 + step, seed=step)
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked) == 3 and ours.num_batches_tracked.dtype == tinynn.int64
    ours.eval()
    theirs.eval()
    _compare_step(ours, theirs, rand(*shape, seed=20))


@needs_torch
def test_batch_norm_state_dict_matches_torch_and_loads():
    for options in filter(lambda o: _torch_has_options(torch.nn.BatchNorm2d, o), BN_OPTIONS):
        ours = nn.BatchNorm2d(4, **options)
        theirs = torch.nn.BatchNorm2d(4, **options)
        assert list(ours.state_dict()) == list(theirs.state_dict()), options
        for k, v in theirs.state_dict().items():
            assert tuple(ours.state_dict()[k].shape) == tuple(v.shape), k
    # a trained PyTorch state loads and gives PyTorch's eval output
    theirs = torch.nn.BatchNorm1d(3).double()
    for s in range(3):
        theirs(torch.tensor(rand(5, 3, seed=s) * 3 + 1))
    theirs.eval()
    ours = nn.BatchNorm1d(3).double()
    ours.load_state_dict({k: tinynn.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    ours.eval()
    x = rand(4, 3, seed=9)
    assert_close(ours(leaf(x)), theirs(torch.tensor(x)))
    assert int(ours.num_batches_tracked) == 3


def test_batch_norm_normalizes_with_biased_and_tracks_unbiased_variance():
    x = rand(8, 2, seed=1) * 3 + 2
    bn = nn.BatchNorm1d(2, momentum=1.0).double()
    y = bn(leaf(x)).detach().numpy()
    assert_close(y.mean(0), np.zeros(2), atol=1e-12)
    assert_close(y.var(0), x.var(0) / (x.var(0) + 1e-5))  # biased variance in the normalization
    assert_close(bn.running_mean, x.mean(0))
    assert_close(bn.running_var, x.var(0, ddof=1))  # unbiased in the running average


def test_batch_norm_eval_uses_running_statistics_and_does_not_update_them():
    bn = nn.BatchNorm1d(2).double()
    with tinynn.no_grad():
        bn.running_mean.copy_(tinynn.tensor([1.0, -2.0]))
        bn.running_var.copy_(tinynn.tensor([4.0, 0.25]))
    bn.eval()
    x = rand(3, 2, seed=2)
    y = bn(leaf(x))
    assert_close(y, (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5))
    assert_close(bn.running_mean, [1.0, -2.0])
    assert int(bn.num_batches_tracked) == 0


def test_batch_norm_without_running_stats_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False).double().eval()
    x = rand(5, 2, seed=3)
    assert_close(bn(leaf(x)), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]


def test_batch_norm_reset_running_stats_and_parameters():
    bn = nn.BatchNorm1d(2)
    bn(tinynn.randn(4, 2) * 5 + 3)
    with tinynn.no_grad():
        bn.weight.fill_(7)
    bn.reset_running_stats()
    assert_close(bn.running_mean, [0, 0])
    assert_close(bn.running_var, [1, 1])
    assert int(bn.num_batches_tracked) == 0
    assert_close(bn.weight, [7, 7])
    bn.reset_parameters()
    assert_close(bn.weight, [1, 1])
    assert_close(bn.bias, [0, 0])


def test_batch_norm_batch_of_one_errors_in_training_only():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(tinynn.randn(1, 3))
    bn.eval()
    assert bn(tinynn.randn(1, 3)).shape == (1, 3)
    nn.BatchNorm1d(3)(tinynn.randn(1, 3, 2))  # two values per channel: allowed


def test_batch_norm_rejects_wrong_input_dims_and_channels():
    with pytest.raises(ValueError, match="2D or 3D"):
        nn.BatchNorm1d(3)(tinynn.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(tinynn.randn(2, 3))
    with pytest.raises(ValueError, match="3 channels"):
        nn.BatchNorm2d(3)(tinynn.randn(2, 4, 2, 2))
    with pytest.raises(RuntimeError, match="running_mean should contain 3"):
        F.batch_norm(tinynn.randn(2, 3), tinynn.zeros(4), tinynn.ones(4), training=True)
    with pytest.raises(RuntimeError, match="must be given"):
        F.batch_norm(tinynn.randn(2, 3), None, None, training=False)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3, 2), (2, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional_gradients(shape, training):
    x, w, b = rand(*shape, seed=1), rand(3, seed=2, low=0.5, high=1.5), rand(3, seed=3)
    mean, var = tinynn.tensor(rand(3, seed=4)), tinynn.tensor(rand(3, seed=5, low=0.5, high=2.0))
    check_gradients(lambda x, w, b: F.batch_norm(x, mean.clone(), var.clone(), w, b, training, 0.1, 1e-3), x, w, b)


# ---------------------------------------------------------------------------- layer norm
LAYER_NORMS = [  # (normalized_shape, input shape, options)
    (4, (3, 4), {}),
    ((2, 3), (2, 2, 3), {}),
    ((4,), (2, 2, 4), {"elementwise_affine": False}),
    (3, (2, 2, 3), {"bias": False, "eps": 1e-2}),
]


@needs_torch
@pytest.mark.parametrize("normalized_shape,shape,options", LAYER_NORMS)
def test_layer_norm_matches_torch(normalized_shape, shape, options):
    ours = nn.LayerNorm(normalized_shape, **options).double()
    _random_affine(ours)
    theirs = _torch_twin(ours, torch.nn.LayerNorm(normalized_shape, **options))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _compare_step(ours, theirs, rand(*shape, seed=1) * 3 + 1)


@pytest.mark.parametrize("normalized_shape,shape,options", LAYER_NORMS)
def test_layer_norm_gradients(normalized_shape, shape, options):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    x, w, b = rand(*shape, seed=1), rand(*ns, seed=2, low=0.5, high=1.5), rand(*ns, seed=3)
    check_gradients(lambda x, w, b: F.layer_norm(x, ns, w, b, 1e-3), x, w, b)
    check_gradients(lambda x: F.layer_norm(x, ns), x)


def test_layer_norm_rejects_mismatched_shape():
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 4\]"):
        nn.LayerNorm(4)(tinynn.randn(2, 5))


def test_layer_norm_float32_stays_float32_and_is_normalized():
    y = nn.LayerNorm(64)(tinynn.randn(8, 64) * 10 + 3)
    assert y.dtype == tinynn.float32
    assert np.abs(y.detach().numpy().mean(-1)).max() < 1e-5
    assert np.abs(y.detach().numpy().std(-1) - 1).max() < 1e-3


# ---------------------------------------------------------------------------- group and instance norm
@needs_torch
@pytest.mark.parametrize("groups,shape,affine", [(1, (2, 4, 3), True), (2, (2, 4, 3, 2), True),
                                                  (4, (3, 4, 2), False), (2, (2, 4), True)])
def test_group_norm_matches_torch(groups, shape, affine):
    ours = nn.GroupNorm(groups, 4, affine=affine).double()
    _random_affine(ours)
    theirs = _torch_twin(ours, torch.nn.GroupNorm(groups, 4, affine=affine))
    _compare_step(ours, theirs, rand(*shape, seed=2) * 2 - 1)


def test_group_norm_gradients_and_errors():
    x, w, b = rand(2, 4, 3, seed=1), rand(4, seed=2, low=0.5, high=1.5), rand(4, seed=3)
    check_gradients(lambda x, w, b: F.group_norm(x, 2, w, b), x, w, b)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="divisible"):
        F.group_norm(tinynn.randn(2, 4, 3), 3)


@needs_torch
@pytest.mark.parametrize("cls,torch_name,shape", [(nn.InstanceNorm1d, "InstanceNorm1d", (3, 2, 5)),
                                                   (nn.InstanceNorm2d, "InstanceNorm2d", (2, 2, 3, 3)),
                                                   (nn.InstanceNorm1d, "InstanceNorm1d", (2, 4))])
@pytest.mark.parametrize("options", [{}, {"affine": True, "track_running_stats": True, "momentum": 0.2}])
def test_instance_norm_matches_torch(cls, torch_name, shape, options):
    ours = cls(2, **options).double()
    _random_affine(ours)
    theirs = _torch_twin(ours, getattr(torch.nn, torch_name)(2, **options))
    for step in range(2):
        _compare_step(ours, theirs, rand(*shape, seed=step) * 2 + 1)
    ours.eval()
    theirs.eval()
    _compare_step(ours, theirs, rand(*shape, seed=7))


def test_instance_norm_gradients():
    x, w, b = rand(2, 3, 4, seed=1), rand(3, seed=2, low=0.5, high=1.5), rand(3, seed=3)
    check_gradients(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), x, w, b)


# ---------------------------------------------------------------------------- the fused op itself
def test_fused_norm_backward_matches_composite_formula():
    """The closed-form backward equals autograd through mean/var/rsqrt built from basic ops."""
    x, w, b, g = rand(4, 6, seed=1), rand(6, seed=2), rand(6, seed=3), rand(4, 6, seed=4)
    fused = [leaf(v) for v in (x, w, b)]
    F.layer_norm(fused[0], (6,), fused[1], fused[2]).mul(tinynn.tensor(g)).sum().backward()
    comp = [leaf(v) for v in (x, w, b)]
    mu = comp[0].mean(-1, keepdim=True)
    var = ((comp[0] - mu) ** 2).mean(-1, keepdim=True)
    y = (comp[0] - mu) / (var + 1e-5).sqrt() * comp[1] + comp[2]
    (y * tinynn.tensor(g)).sum().backward()
    for a, c in zip(fused, comp):
        assert_close(a.grad, c.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_fused_norm_graph_backward_equals_array_backward(training):
    """The create_graph=True backward (tinynn ops) gives the same numbers as the raw-array one."""
    x, w, b, g = rand(3, 2, 4, seed=1), rand(2, seed=2), rand(2, seed=3), rand(3, 2, 4, seed=4)
    mean, var = tinynn.tensor(rand(2, seed=5)), tinynn.tensor(rand(2, seed=6, low=0.5, high=2))
    grads = []
    for create_graph in (False, True):
        inputs = [leaf(v) for v in (x, w, b)]
        out = F.batch_norm(inputs[0], mean.clone(), var.clone(), inputs[1], inputs[2], training)
        grads.append(tinynn.autograd.grad(out, inputs, grad_outputs=tinynn.tensor(g), create_graph=create_graph))
    for a, c in zip(*grads):
        assert_close(a, c, rtol=1e-12, atol=1e-14)


def test_batch_norm_loads_a_state_dict_without_num_batches_tracked():
    bn = tinynn.nn.BatchNorm1d(3)
    old = {"weight": tinynn.ones(3) * 2, "bias": tinynn.zeros(3), "running_mean": tinynn.ones(3), "running_var": tinynn.ones(3)}
    result = bn.load_state_dict(old)
    assert not result.missing_keys and bn.num_batches_tracked.item() == 0 and bn.weight.tolist() == [2.0] * 3
    assert "num_batches_tracked" not in old                     # the caller's dict is left as it was
    with pytest.raises(RuntimeError, match="Missing key"):
        bn.load_state_dict({"weight": tinynn.ones(3)})
