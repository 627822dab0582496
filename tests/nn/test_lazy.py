"""Lazy modules (tinynn/nn/lazy.py, UninitializedParameter in tinynn/nn/parameter.py): sizes read from the first
input, PyTorch's initialisation (the same numbers as the non-lazy layer at that point of the random stream), the
switch to ``cls_to_become``, load_state_dict into a lazy module, dtype/device moves before the first call,
PyTorch parity of the initialised layers, a float64 gradcheck, and the errors."""
import copy

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_module_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.nn.parameter import UninitializedBuffer, UninitializedParameter

F64 = tinynn.float64

# (lazy class, its arguments, the equivalent non-lazy constructor, input shape)
LAZY = [
    ("LazyLinear", dict(out_features=3), lambda: nn.Linear(5, 3), (2, 4, 5)),
    ("LazyLinear", dict(out_features=2, bias=False), lambda: nn.Linear(5, 2, bias=False), (3, 5)),
    ("LazyConv1d", dict(out_channels=4, kernel_size=3, padding=1, groups=2), lambda: nn.Conv1d(2, 4, 3, padding=1, groups=2),
     (2, 2, 6)),
    ("LazyConv2d", dict(out_channels=3, kernel_size=(2, 3), stride=2, padding_mode="reflect", padding=1),
     lambda: nn.Conv2d(2, 3, (2, 3), stride=2, padding=1, padding_mode="reflect"), (2, 5, 6)),          # unbatched
    ("LazyConv3d", dict(out_channels=2, kernel_size=2, bias=False), lambda: nn.Conv3d(3, 2, 2, bias=False),
     (1, 3, 3, 3, 4)),
    ("LazyConvTranspose1d", dict(out_channels=3, kernel_size=3, stride=2, output_padding=1),
     lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1), (2, 2, 4)),
    ("LazyConvTranspose2d", dict(out_channels=4, kernel_size=2, groups=2, dilation=2),
     lambda: nn.ConvTranspose2d(2, 4, 2, groups=2, dilation=2), (1, 2, 3, 3)),
    ("LazyConvTranspose3d", dict(out_channels=2, kernel_size=(1, 2, 2), stride=2),
     lambda: nn.ConvTranspose3d(3, 2, (1, 2, 2), stride=2), (1, 3, 2, 2, 2)),
    ("LazyBatchNorm1d", dict(momentum=0.3), lambda: nn.BatchNorm1d(3, momentum=0.3), (4, 3)),
    ("LazyBatchNorm2d", dict(affine=False), lambda: nn.BatchNorm2d(3, affine=False), (2, 3, 2, 2)),
    ("LazyBatchNorm3d", dict(eps=1e-3), lambda: nn.BatchNorm3d(2, eps=1e-3), (2, 2, 2, 2, 2)),
    ("LazyInstanceNorm1d", dict(), lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (2, 3, 5)),
    ("LazyInstanceNorm2d", dict(track_running_stats=False), lambda: nn.InstanceNorm2d(2, affine=True), (2, 2, 3, 3)),
    ("LazyInstanceNorm3d", dict(affine=False), lambda: nn.InstanceNorm3d(2, track_running_stats=True), (1, 2, 2, 3, 2)),
]
IDS = [f"{c}:{','.join(f'{k}={v}' for k, v in kw.items())}" for c, kw, _, _ in LAZY]


@pytest.mark.parametrize("cls, kwargs, eager, shape", LAZY, ids=IDS)
def test_first_forward_materializes_like_the_eager_layer(cls, kwargs, eager, shape):
    """Same class, sizes, parameters (same random numbers), buffers and output as the non-lazy layer."""
    lazy = getattr(nn, cls)(**kwargs)
    assert lazy.has_uninitialized_params()
    x = tinynn.tensor(rand(*shape).astype(np.float32))
    tinynn.manual_seed(7)
    y = lazy(x)
    tinynn.manual_seed(7)
    reference = eager()
    assert type(lazy) is type(reference) and type(lazy).__name__ == cls[4:]
    assert repr(lazy) == repr(reference)
    assert not hasattr(lazy, "has_uninitialized_params") and not lazy._forward_pre_hooks
    np.testing.assert_allclose(y.detach().numpy(), reference(x).detach().numpy(), rtol=1e-6)
    ours, theirs = lazy.state_dict(), reference.state_dict()     # both after one training step (running stats)
    assert list(ours) == list(theirs)
    for key in ours:
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
    assert all(type(p) is nn.Parameter for p in lazy.parameters())


@needs_torch
@pytest.mark.parametrize("cls, kwargs, eager, shape", LAZY, ids=IDS)
def test_repr_and_state_dict_keys_match_torch_before_and_after(cls, kwargs, eager, shape):
    ours, theirs = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [repr(v) for v in ours.state_dict().values()] == [repr(v) for v in theirs.state_dict().values()]
    x = rand(*shape).astype(np.float32)
    ours(tinynn.tensor(x))
    theirs(torch.tensor(x))
    assert repr(ours) == repr(theirs)


@needs_torch
def test_initialised_lazy_layers_match_torch():
    """After the first call they are the plain layers: outputs and gradients as PyTorch's with the same weights."""
    for ours, theirs, shape in [(nn.LazyConv2d(4, 3, padding=1, groups=2, dtype=F64), torch.nn.Conv2d(2, 4, 3, padding=1, groups=2),
                                 (2, 2, 5, 5)),
                                (nn.LazyLinear(3, dtype=F64), torch.nn.Linear(4, 3), (2, 4)),
                                (nn.LazyBatchNorm1d(dtype=F64), torch.nn.BatchNorm1d(3), (5, 3))]:
        ours(tinynn.zeros(*shape, dtype=F64))
        assert_module_matches_torch(ours, theirs.double(), [rand(*shape)])


def test_gradcheck_after_materializing():
    layer = nn.LazyConv1d(2, 3, stride=2, padding=1, dtype=F64)
    layer(tinynn.zeros(1, 3, 6, dtype=F64))
    check_gradients(lambda x, w, b: nn.functional.conv1d(x, w, b, 2, 1), rand(2, 3, 6), np.asarray(layer.weight.detach()),
                    np.asarray(layer.bias.detach()))
    check_gradients(lambda x: layer(x), rand(2, 3, 6), second_order=False)


def test_optimizer_made_before_the_first_call_trains_the_materialized_parameters():
    model = nn.Sequential(nn.LazyLinear(4), nn.Tanh(), nn.LazyLinear(1))
    params = list(model.parameters())
    optimizer = tinynn.optim.SGD(model.parameters(), lr=0.1)
    x, target = tinynn.randn(8, 3), tinynn.randn(8, 1)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]     # the same objects, materialized
    assert model[0].weight.shape == (4, 3) and losses[-1] < losses[0]


def test_dtype_and_deepcopy_before_the_first_call():
    layer = nn.LazyLinear(3).double()
    layer(tinynn.randn(2, 4, dtype=F64))
    assert layer.weight.dtype == F64 and layer.bias.dtype == F64
    lazy = nn.LazyConv2d(2, 3)
    twin = copy.deepcopy(lazy)
    twin(tinynn.randn(1, 5, 4, 4))
    assert type(twin) is nn.Conv2d and type(lazy) is nn.LazyConv2d and lazy.has_uninitialized_params()
    assert twin.weight.shape == (2, 5, 3, 3)


def test_load_state_dict_materializes_with_the_checkpoints_shapes():
    tinynn.manual_seed(0)
    source = nn.Sequential(nn.Linear(5, 3), nn.BatchNorm1d(3))
    source(tinynn.randn(4, 5))                                               # running statistics move
    target = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    target.load_state_dict(source.state_dict())
    assert type(target[0]) is nn.LazyLinear and target[0].weight.shape == (3, 5)
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key].numpy(), value.numpy())
    x = tinynn.randn(2, 5)
    source.eval(), target.eval()
    np.testing.assert_array_equal(target(x).detach().numpy(), source(x).detach().numpy())   # loaded, not re-drawn
    assert type(target[0]) is nn.Linear and target[0].in_features == 5


@needs_torch
def test_lazy_module_loads_a_torch_checkpoint():
    theirs = torch.nn.LazyConvTranspose2d(3, 2, stride=2).double()
    x = rand(1, 4, 3, 3)
    expected = theirs(torch.tensor(x)).detach().numpy()
    ours = nn.LazyConvTranspose2d(3, 2, stride=2).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(tinynn.tensor(x)).detach().numpy(), expected, rtol=1e-12)


def test_the_lazy_hook_runs_before_user_hooks_and_then_leaves():
    layer = nn.LazyLinear(2)
    seen = []
    layer.register_forward_pre_hook(lambda module, args: seen.append(module.weight.shape))
    layer(tinynn.randn(3, 6))
    layer(tinynn.randn(3, 6))
    assert seen == [(2, 6), (2, 6)] and len(layer._forward_pre_hooks) == 1


def test_unbatched_instance_norm_reads_the_channel_dim():
    """(C, L) input: num_features = C (PyTorch's lazy instance norm reads dim 1, L, and then fails)."""
    layer = nn.LazyInstanceNorm1d()
    y = layer(tinynn.tensor(rand(3, 5)))
    assert layer.num_features == 3 and layer.weight.shape == (3,) and y.shape == (3, 5)


def test_uninitialized_parameter():
    p = UninitializedParameter(dtype=F64)
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad and p.dtype == F64
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        p.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter in numel"):
        p.numel()
    with pytest.raises(ValueError, match="uninitialized parameter in fill_"):
        nn.init.zeros_(p)
    with pytest.raises(ValueError, match="uninitialized parameter in dim"):
        nn.init.xavier_uniform_(p)
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == F64 and p.requires_grad
    b = UninitializedBuffer()
    assert not b.requires_grad and b.dtype == tinynn.float32
    b.materialize((4,), dtype=F64)
    assert type(b) is tinynn.Tensor and b.dtype == F64


def test_errors():
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to LazyConv2d"):
        nn.LazyConv2d(4, 3)(tinynn.randn(5, 5))
    with pytest.raises(ValueError, match="in_channels \\(3\\) must be divisible by groups \\(2\\)"):
        nn.LazyConv1d(4, 3, groups=2)(tinynn.randn(1, 3, 5))
    with pytest.raises(ValueError, match="out_channels \\(3\\) must be divisible by groups \\(2\\)"):
        nn.LazyConv2d(3, 3, groups=2)
    partial = nn.LazyLinear(3)
    partial.load_state_dict({"weight": tinynn.randn(3, 5)}, strict=False)
    with pytest.raises(RuntimeError, match="\\['weight'\\] were loaded from a checkpoint but \\['bias'\\] were not"):
        partial(tinynn.randn(2, 5))
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.Linear(5, 3).load_state_dict(nn.LazyLinear(3).state_dict())
