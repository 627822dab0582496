"""Module (tinynn/nn/module.py) exercised through the layers of nn: registration rules, traversal and
tied parameters, state_dict keys and order against PyTorch, load_state_dict errors, weights moving
between PyTorch and tinynn, train/eval, zero_grad, apply, to(), hooks and repr."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_close, needs_torch, torch


class Net:
    """The same nested model for either library: ``Net.build(nn, tinynn)`` or ``Net.build(torch.nn, torch)``."""

    @staticmethod
    def build(lib, t):
        class Model(lib.Module):
            def __init__(self):
                super().__init__()
                self.embed = lib.Embedding(7, 4, padding_idx=0)
                self.body = lib.Sequential(OrderedDict([
                    ("fc1", lib.Linear(4, 6)), ("act", lib.GELU("tanh")), ("drop", lib.Dropout(0.1)),
                    ("fc2", lib.Linear(6, 5, bias=False)),
                ]))
                self.heads = lib.ModuleDict({"cls": lib.Linear(5, 3), "reg": lib.Linear(5, 1)})
                self.blocks = lib.ModuleList([lib.PReLU(4), lib.Tanh(), lib.Tanh()])  # PReLU over dim 1 (length 4)
                self.scales = lib.ParameterList([lib.Parameter(t.ones(5))])
                self.register_buffer("offset", t.zeros(5))
                self.register_buffer("cache", t.zeros(2), persistent=False)

            def forward(self, ids):
                h = self.body(self.embed(ids)) * self.scales[0] + self.offset
                for block in self.blocks:
                    h = block(h)
                return self.heads["cls"](h), self.heads["reg"](h)

        return Model()


def _ids():
    return np.array([[1, 2, 0, 6], [3, 3, 5, 4]], dtype=np.int64)


# ---------------------------------------------------------------------------- registration
def test_assignment_registers_parameters_modules_and_buffers():
    m = nn.Module()
    m.w = nn.Parameter(tinynn.zeros(2))
    m.child = nn.Linear(2, 2)
    m.plain = tinynn.zeros(3)                     # a plain tensor is just an attribute
    m.register_buffer("stat", tinynn.ones(2))
    m.register_buffer("tmp", tinynn.ones(1), persistent=False)
    m.register_parameter("absent", None)
    assert [n for n, _ in m.named_parameters()] == ["w", "child.weight", "child.bias"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "tmp"]
    assert list(m.state_dict()) == ["w", "stat", "child.weight", "child.bias"]
    assert list(m.children()) == [m.child] and m.absent is None
    m.stat = tinynn.full((2,), 5.0)             # a tensor assigned to a buffer name replaces the buffer
    assert m.state_dict()["stat"].numpy().tolist() == [5.0, 5.0]
    del m.w
    assert "w" not in dict(m.named_parameters())
    m.child = None
    assert list(m.children()) == [] and "child.weight" not in m.state_dict()


def test_registration_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = tinynn.zeros(2, 2)
    with pytest.raises(KeyError, match="'.'"):
        m.register_parameter("a.b", nn.Parameter(tinynn.zeros(1)))
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("extra", tinynn.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", tinynn.zeros(1))
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="child module '0'"):
        setattr(seq, "0", 3)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tinynn.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_tied_parameters_appear_once():
    class TiedLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 4)
            self.head = nn.Linear(4, 10, bias=False)
            self.head.weight = self.embed.weight

    model = TiedLM()
    assert [n for n, _ in model.named_parameters()] == ["embed.weight"]
    assert len(list(model.parameters())) == 1
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == ["embed.weight", "head.weight"]
    assert list(model.state_dict()) == ["embed.weight", "head.weight"]  # state_dict keeps both names
    ids = tinynn.tensor([[1, 2, 3]])
    model.head(model.embed(ids)).sum().backward()
    assert model.embed.weight.grad is model.head.weight.grad  # one tensor, both uses accumulated
    np.testing.assert_array_equal(model.embed.weight.grad.numpy()[0], model.head.weight.grad.numpy()[0])


# ---------------------------------------------------------------------------- state dicts
@needs_torch
def test_state_dict_keys_order_and_shapes_match_torch():
    ours, theirs = Net.build(nn, tinynn), Net.build(torch.nn, torch)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert [tuple(v.shape) for v in ours_sd.values()] == [tuple(v.shape) for v in theirs_sd.values()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]


@needs_torch
def test_torch_weights_load_into_tinynn_and_back():
    torch.manual_seed(0)
    theirs = Net.build(torch.nn, torch).double().eval()
    ours = Net.build(nn, tinynn).double().eval()
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    ids = _ids()
    for a, b in zip(ours(tinynn.tensor(ids)), theirs(torch.tensor(ids))):
        assert_close(a, b)
    # and back: change tinynn's weights, move them into a fresh PyTorch model
    for p in ours.parameters():
        p.data = p.data * 1.5
    fresh = Net.build(torch.nn, torch).double().eval()
    fresh.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for a, b in zip(ours(tinynn.tensor(ids)), fresh(torch.tensor(ids))):
        assert_close(a, b)


def test_load_state_dict_reports_every_problem():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    state = model.state_dict()
    state.pop("1.bias")
    state["0.weight"] = tinynn.zeros(4, 2)
    state["2.weight"] = tinynn.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    text = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in text
    assert 'Missing key(s) in state_dict: "1.bias"' in text
    assert 'Unexpected key(s) in state_dict: "2.weight"' in text
    assert "size mismatch for 0.weight: copying a param with shape (4, 2) from checkpoint, " \
           "the shape in current model is (3, 2)" in text
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked even when not strict
        model.load_state_dict(state, strict=False)
    state["0.weight"] = tinynn.ones(3, 2)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["1.bias"] and result.unexpected_keys == ["2.weight"]
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), 1.0)


def test_load_state_dict_copies_into_the_same_parameters():
    model = nn.Linear(3, 2)
    weight = model.weight
    before = weight._version
    model.load_state_dict({"weight": np.full((2, 3), 2.0), "bias": np.zeros(2)})
    assert model.weight is weight and weight.dtype == tinynn.float32
    assert weight._version > before
    np.testing.assert_array_equal(weight.detach().numpy(), 2.0)


def test_non_persistent_buffers_stay_out_of_the_state_dict():
    model = Net.build(nn, tinynn)
    assert "cache" not in model.state_dict() and "offset" in model.state_dict()
    assert "cache" in dict(model.named_buffers())


# ---------------------------------------------------------------------------- modes, gradients, apply, to
def test_train_and_eval_reach_every_submodule():
    model = Net.build(nn, tinynn)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    x = tinynn.randn(4, 6)
    assert model.body.drop(x) is x          # dropout is the identity in eval mode
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError):
        model.train("yes")


def test_zero_grad_and_requires_grad_():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model(tinynn.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    assert not model(tinynn.randn(1, 3)).requires_grad


def test_apply_visits_children_first_and_can_initialise():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "Linear", "ReLU", "Sequential", "Sequential"]

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    model.apply(init_weights)
    assert all(np.all(m.weight.detach().numpy() == 1) for m in model.modules() if isinstance(m, nn.Linear))


def test_to_float64_converts_in_place_and_keeps_identities():
    model = Net.build(nn, tinynn)
    model.register_buffer("steps", tinynn.tensor(3))
    params = list(model.parameters())
    model(tinynn.tensor(_ids()))[0].sum().backward()
    assert model.to(tinynn.float64) is model
    assert list(model.parameters()) == params                      # the same Parameter objects
    assert all(p.dtype == tinynn.float64 for p in params)
    assert all(p.grad.dtype == tinynn.float64 for p in params if p.grad is not None)
    assert model.offset.dtype == tinynn.float64 and model.steps.dtype == tinynn.int64  # ints stay ints
    out = model(tinynn.tensor(_ids()))[0]
    assert out.dtype == tinynn.float64
    assert model.float().embed.weight.dtype == tinynn.float32
    with pytest.raises(TypeError, match="floating point"):
        model.to(tinynn.int32)


# ---------------------------------------------------------------------------- hooks
def test_forward_hooks_record_and_replace_activations():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    activations = {}

    def record(name):
        def hook(module, args, output):
            activations[name] = output.detach()
        return hook

    handles = [m.register_forward_hook(record(name)) for name, m in model.named_children()]
    x = tinynn.randn(5, 3)
    out = model(x)
    assert list(activations) == ["0", "1", "2"]
    assert_close(activations["1"], model[1](model[0](x)))
    assert_close(activations["2"], out)
    assert np.all(activations["1"].numpy() >= 0)
    for h in handles:
        h.remove()
    activations.clear()
    model(x)
    assert activations == {}

    doubled = model[2].register_forward_hook(lambda m, args, output: output * 2)
    assert_close(model(x), out * 2)
    doubled.remove()
    with model[0].register_forward_pre_hook(lambda m, args: (args[0] * 0,)):
        zeroed = model(x)
    assert_close(zeroed, model(tinynn.zeros(5, 3)))
    assert_close(model(x), out)


# ---------------------------------------------------------------------------- repr
@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
@needs_torch
def test_repr_matches_torch():
    def build(lib, t):
        return lib.Sequential(
            lib.Embedding(10, 4, padding_idx=1), lib.Flatten(), lib.Linear(16, 8), lib.LeakyReLU(0.2, inplace=True),
            lib.Dropout(0.25), lib.Sequential(lib.Linear(8, 8, bias=False), lib.GELU("tanh"), lib.Softplus(beta=2.0)),
            lib.ModuleList([lib.Linear(8, 8), lib.Linear(8, 8), lib.SiLU()]), lib.Bilinear(2, 3, 4),
            lib.ModuleDict({"norm": lib.Identity(), "act": lib.Softmax(dim=-1)}), lib.PReLU(3),
            lib.Unflatten(1, (2, 4)), lib.Dropout2d(), lib.Hardtanh(-2.0, 2.0), lib.ELU(alpha=0.5),
        )
    assert repr(build(nn, tinynn)) == repr(build(torch.nn, torch))
    assert repr(Net.build(nn, tinynn)) == repr(Net.build(torch.nn, torch)).replace("torch.", "tinynn.")


# ---------------------------------------------------------------------------- copying, reassignment, train()
def test_deepcopy_of_a_module():
    model = nn.Linear(2, 2)
    clone = copy.deepcopy(model)
    assert clone.weight is not model.weight
    np.testing.assert_array_equal(clone.weight.detach().numpy(), model.weight.detach().numpy())


def test_reassigning_a_parameter_keeps_its_position():
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(tinynn.zeros(3, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_train_calls_the_childrens_train():
    class Frozen(nn.Module):
        def train(self, mode=True):
            return super().train(False)  # e.g. a layer that must stay in eval mode

    model = nn.Sequential(Frozen(), nn.Linear(1, 1))
    model.train()
    assert model[0].training is False


def _hooked_run(lib):
    linear = lib.nn.Linear(3, 2).double()
    linear.load_state_dict({"weight": lib.tensor(np.arange(6.0).reshape(2, 3) / 5), "bias": lib.tensor([0.1, -0.2])})
    seen = []
    linear.register_full_backward_hook(lambda m, gi, go: seen.append(
        ([None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
    handle = linear.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    x = lib.tensor(np.ones((1, 3)), requires_grad=True)
    (linear(x) * lib.tensor([[1.0, 3.0]])).sum().backward()
    linear(lib.tensor(np.ones((1, 3)))).sum().backward()       # no input needs a gradient: grad_input (None,)
    handle.remove()
    linear(x).sum().backward()
    return seen, x.grad.tolist(), linear.weight.grad.tolist()


@needs_torch
def test_full_backward_hooks_match_torch():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # PyTorch warns when it fires the hook from the outputs
        ours, theirs = _hooked_run(tinynn), _hooked_run(torch)
    # the same hooks fire with the same gradients, equal to rounding (BLAS sums in its own order)
    for (our_in, our_out), (their_in, their_out) in zip(ours[0], theirs[0], strict=True):
        assert [g is None for g in our_in] == [g is None for g in their_in]
        for a, b in zip([g for g in our_in + our_out if g is not None], [g for g in their_in + their_out if g is not None]):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)


def test_backward_hook_can_replace_grad_input():
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    x = tinynn.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]] and layer.weight.grad is not None


def test_forward_hooks_with_kwargs_and_prepend():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    module, order = Scale(), []
    module.register_forward_hook(lambda m, args, out: order.append("second"))
    module.register_forward_hook(lambda m, args, out: order.append("first"), prepend=True)
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"factor": kwargs["factor"] * 10}), with_kwargs=True)
    module.register_forward_hook(lambda m, args, kwargs, out: out + kwargs["factor"], with_kwargs=True)
    assert module(tinynn.ones(1), factor=2.0).item() == 40.0     # 1 * 20, then + 20
    assert order == ["first", "second"]


def test_module_type_to_empty_and_share_memory():
    layer = nn.Linear(2, 3)
    assert layer.type(tinynn.float64).weight.dtype == tinynn.float64
    assert layer.type(tinynn.FloatTensor).bias.dtype == tinynn.float32
    assert layer.share_memory() is layer
    before = layer.weight.detach().numpy().copy()
    layer.to_empty(device="cpu")
    assert layer.weight.shape == (3, 2) and layer.weight.dtype == tinynn.float32
    assert layer.weight.numpy(force=True).ctypes.data != before.ctypes.data    # new, uninitialised memory
    assert layer.weight.requires_grad and isinstance(layer.weight, nn.Parameter)


def test_buffer_assigned_as_an_attribute_is_registered():
    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.mask = nn.Buffer(tinynn.ones(3))
            self.scratch = nn.Buffer(tinynn.zeros(2), persistent=False)

    module = Masked()
    assert list(module.state_dict()) == ["mask"]
    assert [name for name, _ in module.named_buffers()] == ["mask", "scratch"]
    assert type(module.mask) is tinynn.Tensor and module.double().mask.dtype == tinynn.float64


def test_extra_state_travels_in_the_state_dict():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(1, 1)
            self.calls = 0

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]

    model = nn.Sequential(Counter())
    model[0].calls = 7
    state = model.state_dict()
    assert list(state) == ["0._extra_state", "0.linear.weight", "0.linear.bias"] and state["0._extra_state"] == {"calls": 7}
    fresh = nn.Sequential(Counter())
    assert not fresh.load_state_dict(state).missing_keys and fresh[0].calls == 7
    del state["0._extra_state"]
    with pytest.raises(RuntimeError, match='Missing key.*"0._extra_state"'):
        fresh.load_state_dict(state)
    with pytest.raises(RuntimeError, match="should never be called"):
        nn.Linear(1, 1).get_extra_state()
