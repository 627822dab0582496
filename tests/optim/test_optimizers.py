"""Optimizers (tinynn/optim): PyTorch parity of each update, param groups, state dicts, errors.

Parity: a small tanh network plus a 3-d and a 0-d parameter (so Adafactor factors and does not),
trained for 8 steps from the same float64 weights on the same data by tinynn and by PyTorch; the
parameters must agree to 1e-12 relative. Lion (not in PyTorch) is checked against a NumPy
reference written from the paper.
"""
import numpy as np
import pytest

import tinynn
from tinynn import optim
from tinynn.serialization import load, save
from tests.helpers import needs_torch, rand, torch

RTOL, ATOL = 1e-12, 1e-14
SHAPES = {"w1": (3, 4), "b1": (4,), "w2": (4, 2), "cube": (2, 3, 5), "scale": ()}
X, TARGET = rand(6, 3, seed=10), rand(6, 2, seed=11)
CUBE_WEIGHTS = rand(2, 3, 5, seed=12, low=0.5, high=1.5)


def initial_values(seed: int = 0) -> dict:
    return {name: rand(*shape, seed=seed + i) * 0.5 for i, (name, shape) in enumerate(SHAPES.items())}


def loss_of(lib, p: dict, x, target, cube_weights):
    """mean((tanh(x W1 + b1) W2 - target)^2) + sum(c * cube^2) + scale^2 / 2, in tinynn or torch."""
    hidden = lib.tanh(x @ p["w1"] + p["b1"])
    fit = ((hidden @ p["w2"] - target) ** 2).mean()
    return fit + (cube_weights * p["cube"] ** 2).sum() * 0.1 + p["scale"] ** 2 * 0.5


def make_params(lib, values: dict, dtype=np.float64) -> dict:
    return {k: lib.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for k, v in values.items()}


def train(lib, optimizer_factory, params: dict, steps: int) -> list:
    """Run ``steps`` optimizer steps on the fixed loss; return the losses."""
    optimizer = optimizer_factory(params)
    consts = [lib.tensor(a) for a in (X, TARGET, CUBE_WEIGHTS)]
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_of(lib, params, *consts)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def assert_params_equal(ours: dict, theirs: dict, rtol=RTOL, atol=ATOL) -> None:
    for name in ours:
        np.testing.assert_allclose(ours[name].detach().numpy(), theirs[name].detach().numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.2, amsgrad=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, alpha=0.9, centered=True, momentum=0.7, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, maximize=True, momentum=0.3)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3, weight_decay=0.1, eps=1e-6)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-4, 1e-2), d=1.2, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.02, maximize=True)),
]


@needs_torch
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch_after_eight_steps(name, kwargs):
    values = initial_values()
    ours, theirs = make_params(tinynn, values), make_params(torch, values)
    losses_ours = train(tinynn, lambda p: getattr(optim, name)(list(p.values()), **kwargs), ours, 8)
    losses_theirs = train(torch, lambda p: getattr(torch.optim, name)(list(p.values()), **kwargs), theirs, 8)
    np.testing.assert_allclose(losses_ours, losses_theirs, rtol=RTOL)
    assert_params_equal(ours, theirs)
    assert not np.allclose(ours["w1"].detach().numpy(), values["w1"])  # it moved


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups_with_their_own_options_match_torch(name):
    values = initial_values(seed=3)
    ours, theirs = make_params(tinynn, values), make_params(torch, values)

    def groups(p):
        return [{"params": [p["w1"], p["b1"]], "lr": 0.05},
                {"params": [p["w2"], p["cube"]], "weight_decay": 0.1},
                {"params": [p["scale"]]}]

    extra = {"momentum": 0.9} if name != "Adam" else {"betas": (0.8, 0.95)}
    train(tinynn, lambda p: getattr(optim, name)(groups(p), lr=0.01, **extra), ours, 6)
    train(torch, lambda p: getattr(torch.optim, name)(groups(p), lr=0.01, **extra), theirs, 6)
    assert_params_equal(ours, theirs)


@needs_torch
def test_closure_is_evaluated_and_its_loss_returned():
    values = initial_values(seed=5)
    results = []
    for lib, module in ((tinynn, optim), (torch, torch.optim)):
        p = make_params(lib, values)
        opt = module.SGD(list(p.values()), lr=0.1, momentum=0.9)
        consts = [lib.tensor(a) for a in (X, TARGET, CUBE_WEIGHTS)]

        def closure():
            opt.zero_grad()
            loss = loss_of(lib, p, *consts)
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(4)]
        results.append((losses, p))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=RTOL)
    assert_params_equal(results[0][1], results[1][1])


# ---------------------------------------------------------------------- state dicts
STATEFUL = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
            ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", dict(lr_decay=0.1)),
            ("Adafactor", dict()), ("Lion", dict(lr=0.01, weight_decay=0.1))]


@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_state_dict_round_trip_through_save_and_load_continues_identically(tmp_path, name, kwargs):
    values = initial_values(seed=7)
    params = make_params(tinynn, values)
    opt = getattr(optim, name)(list(params.values()), **kwargs)
    consts = [tinynn.tensor(a) for a in (X, TARGET, CUBE_WEIGHTS)]

    def one_step(p, o):
        o.zero_grad()
        loss_of(tinynn, p, *consts).backward()
        o.step()

    for _ in range(3):
        one_step(params, opt)
    save(opt.state_dict(), tmp_path / "optimizer.pt")
    clone = make_params(tinynn, {k: v.detach().numpy().copy() for k, v in params.items()})
    restored = getattr(optim, name)(list(clone.values()), lr=123.0)  # lr comes back from the file
    restored.load_state_dict(load(tmp_path / "optimizer.pt"))
    assert restored.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for _ in range(3):
        one_step(params, opt)
        one_step(clone, restored)
    for key in params:
        np.testing.assert_array_equal(params[key].detach().numpy(), clone[key].detach().numpy(), err_msg=key)
    # the loaded state is a copy: stepping one optimizer never moves the other's buffers
    assert all(
        not np.shares_memory(a._data, b._data)
        for s1, s2 in zip(opt.state.values(), restored.state.values())
        for a, b in zip(s1.values(), s2.values()) if isinstance(a, tinynn.Tensor)
    )


@needs_torch
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", dict()),
                                         ("Adafactor", dict())])
def test_state_dict_has_torchs_layout_and_a_torch_state_loads_and_continues(name, kwargs):
    values = initial_values(seed=9)
    ours, theirs = make_params(tinynn, values), make_params(torch, values)
    train(torch, lambda p: getattr(torch.optim, name)(list(p.values()), **kwargs), theirs, 0)
    torch_opt = getattr(torch.optim, name)(list(theirs.values()), **kwargs)
    our_opt = getattr(optim, name)(list(ours.values()), **kwargs)
    for lib, p, o in ((tinynn, ours, our_opt), (torch, theirs, torch_opt)):
        consts = [lib.tensor(a) for a in (X, TARGET, CUBE_WEIGHTS)]
        for _ in range(3):
            o.zero_grad()
            loss_of(lib, p, *consts).backward()
            o.step()
    mine, reference = our_opt.state_dict(), torch_opt.state_dict()
    assert sorted(mine["state"]) == sorted(reference["state"]) == list(range(len(SHAPES)))
    for index, entry in reference["state"].items():
        assert list(mine["state"][index]) == list(entry), index
        for key, value in entry.items():
            got = mine["state"][index][key]
            assert isinstance(got, tinynn.Tensor) and got.shape == tuple(value.shape), (index, key)
            assert str(got.dtype) == str(value.dtype).replace("torch.", ""), (index, key)
            np.testing.assert_allclose(got.numpy(), value.numpy(), rtol=RTOL, atol=ATOL)
    for group, ref_group in zip(mine["param_groups"], reference["param_groups"]):
        assert group["params"] == ref_group["params"]
        for key, value in group.items():
            assert ref_group[key] == value, key

    # A PyTorch state dict, converted to arrays, loads into tinynn and both continue identically.
    converted = {"state": {i: {k: tinynn.tensor(v.numpy()) for k, v in s.items()}
                           for i, s in reference["state"].items()},
                 "param_groups": reference["param_groups"]}
    fresh = make_params(tinynn, {k: v.detach().numpy().copy() for k, v in theirs.items()})
    loaded = getattr(optim, name)(list(fresh.values()))
    loaded.load_state_dict(converted)
    train(tinynn, lambda p: loaded, fresh, 3)
    train(torch, lambda p: torch_opt, theirs, 3)
    assert_params_equal(fresh, theirs)


def test_load_state_dict_validates_group_count_and_sizes():
    a, b = (tinynn.zeros(2, requires_grad=True) for _ in range(2))
    state = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(state)


# ---------------------------------------------------------------------- mechanics
def test_zero_grad_sets_to_none_or_fills_zeros_in_place():
    w = tinynn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_parameters_without_gradient_are_skipped_and_get_no_state():
    used, unused = tinynn.ones(2, requires_grad=True), tinynn.ones(3, requires_grad=True)
    opt = optim.Adam([used, unused], lr=0.1)
    (used * 3.0).sum().backward()
    opt.step()
    assert unused.tolist() == [1.0, 1.0, 1.0] and unused not in opt.state
    assert used.tolist() == pytest.approx([0.9, 0.9]) and opt.state[used]["step"] == 1


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Lion", "Adafactor"])
def test_tensor_saved_for_backward_then_updated_by_step_raises_at_backward(name):
    w = tinynn.tensor(rand(3, 2, seed=1), requires_grad=True)
    opt = getattr(optim, name)([w], lr=0.1)
    (w * w).sum().backward()
    pending = (w * w).sum()  # saves w for its backward
    version = w._version
    opt.step()
    assert w._version == version + 1
    with pytest.raises(RuntimeError, match="version"):
        pending.backward()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Lion", "Adafactor"])
def test_float32_parameters_stay_float32_and_track_the_float64_run(name):
    kwargs = {"momentum": 0.9, "weight_decay": 0.1} if name in ("SGD", "RMSprop") else {"weight_decay": 0.1}
    results = {}
    for dtype in (np.float32, np.float64):
        w = tinynn.tensor(rand(4, 3, seed=2).astype(dtype), requires_grad=True)
        opt = getattr(optim, name)([w], lr=0.01, **kwargs)
        for step in range(3):
            w.grad = tinynn.tensor(rand(4, 3, seed=20 + step).astype(dtype))
            opt.step()
        assert w.dtype == dtype
        assert all(v.dtype == dtype for v in opt.state[w].values() if isinstance(v, tinynn.Tensor))
        results[dtype] = w.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(results[np.float32], results[np.float64], rtol=1e-5, atol=1e-6)


def test_step_leaves_the_gradient_untouched():
    w = tinynn.tensor(rand(5, seed=3), requires_grad=True)
    g = rand(5, seed=4)
    for opt in (optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
                optim.Adam([w], weight_decay=0.1, maximize=True), optim.RMSprop([w], centered=True)):
        w.grad = tinynn.tensor(g.copy())
        opt.step()
        opt.step()
        np.testing.assert_array_equal(w.grad.numpy(), g)


def test_invalid_arguments_and_parameter_lists_are_refused():
    w = tinynn.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({w}, lr=0.1)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w], "lr": 0.5}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam([w], lr=-1.0)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.AdamW([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Clipping threshold"):
        optim.Adafactor([w], d=0.5)
    with pytest.raises(NotImplementedError, match="fused"):
        optim.Adam([w], fused=True)


def test_add_param_group_named_parameters_and_repr():
    a, b = tinynn.ones(2, requires_grad=True), tinynn.ones(3, requires_grad=True)
    opt = optim.Adagrad([("a", a)], lr=0.5)
    opt.add_param_group({"params": [("b", b)], "lr": 0.25})
    assert opt.param_groups[1]["lr"] == 0.25 and opt.param_groups[1]["lr_decay"] == 0
    assert opt.param_groups[0]["param_names"] == ["a"]
    b.grad = tinynn.ones(3)
    opt.step()  # a group added after construction gets Adagrad's state on its first step
    np.testing.assert_allclose(b.tolist(), [0.75] * 3)
    assert "Parameter Group 1" in repr(opt) and "    lr: 0.25" in repr(opt)


# ---------------------------------------------------------------------- beyond PyTorch
def lion_reference(w, grads, lr, beta1, beta2, weight_decay):
    """Algorithm 2 of Chen et al. (2023), written out in NumPy."""
    w, m = w.copy(), np.zeros_like(w)
    for g in grads:
        c = beta1 * m + (1 - beta1) * g
        w = w - lr * (np.sign(c) + weight_decay * w)
        m = beta2 * m + (1 - beta2) * g
    return w


def test_lion_matches_the_papers_algorithm():
    start = rand(4, 3, seed=1)
    grads = [rand(4, 3, seed=30 + i) for i in range(6)]
    w = tinynn.tensor(start.copy(), requires_grad=True)
    opt = optim.Lion([w], lr=0.01, betas=(0.8, 0.95), weight_decay=0.3)
    for g in grads:
        w.grad = tinynn.tensor(g)
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), lion_reference(start, grads, 0.01, 0.8, 0.95, 0.3), rtol=1e-12)
    # maximize: the same path as minimizing the negated gradients
    w2 = tinynn.tensor(start.copy(), requires_grad=True)
    opt2 = optim.Lion([w2], lr=0.01, betas=(0.8, 0.95), weight_decay=0.3, maximize=True)
    for g in grads:
        w2.grad = tinynn.tensor(-g)
        opt2.step()
    np.testing.assert_allclose(w2.detach().numpy(), w.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("factory", [lambda p: optim.Lion(p, lr=0.1), lambda p: optim.Adafactor(p, lr=0.05)],
                         ids=["Lion", "Adafactor"])
def test_decreases_a_convex_quadratic(factory):
    curvature = tinynn.tensor(rand(6, 4, seed=2, low=0.5, high=2.0))
    w = tinynn.tensor(rand(6, 4, seed=3) + 2.0, requires_grad=True)
    opt = factory([w])
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = (curvature * w * w).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
