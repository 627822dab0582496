"""Adadelta, Adamax, NAdam, RAdam, ASGD and SparseAdam (tinynn/optim/*.py); LBFGS is in test_lbfgs.py.

Parity: the network and loss of test_optimizers.py, 10 steps in lockstep with PyTorch from the
same float64 weights; after every step the parameters and the whole optimizer state (PyTorch's
keys, in PyTorch's order) must agree to 1e-12 relative. Without PyTorch, closed forms of each
first step and of ASGD's average check the update rules.
"""
import numpy as np
import pytest

import tinynn
from tinynn import optim
from tinynn.serialization import load, save
from tests.helpers import as_numpy, needs_torch, rand, torch
from tests.optim.test_optimizers import (ATOL, CUBE_WEIGHTS, RTOL, TARGET, X, assert_params_equal,
                                         initial_values, loss_of, make_params, train)

STEPS = 10
CONFIGS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.1, maximize=True, weight_decay=0.05)),
    ("Adadelta", dict(lr=0.01, rho=1.0)),  # no averaging: plain SGD steps lr * g
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.05, weight_decay=0.1, eps=1e-6)),
    ("NAdam", dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, betas=(0.8, 0.95))),
    ("NAdam", dict(lr=0.01, maximize=True, weight_decay=0.01)),
    ("RAdam", dict()),  # rho_t passes 5 at step 7: both branches of the rectification
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.6, t0=3, weight_decay=0.1)),  # averaging from step 4
    ("ASGD", dict(lr=0.02, t0=0, maximize=True)),
]


def lockstep(name: str, kwargs: dict, values: dict, steps: int, compare) -> None:
    """Train tinynn and PyTorch side by side; ``compare(ours, theirs, opt, torch_opt)`` after each step."""
    ours, theirs = make_params(tinynn, values), make_params(torch, values)
    opt = getattr(optim, name)(list(ours.values()), **kwargs)
    torch_opt = getattr(torch.optim, name)(list(theirs.values()), **kwargs)
    runs = [(lib, p, o, [lib.tensor(a) for a in (X, TARGET, CUBE_WEIGHTS)])
            for lib, p, o in ((tinynn, ours, opt), (torch, theirs, torch_opt))]
    for _ in range(steps):
        for lib, p, o, consts in runs:
            o.zero_grad()
            loss_of(lib, p, *consts).backward()
            o.step()
        compare(ours, theirs, opt, torch_opt)


def assert_state_matches(opt, torch_opt, rtol=RTOL, atol=ATOL) -> None:
    """Same indices, same keys in the same order, same values (the step included)."""
    mine, reference = opt.state_dict()["state"], torch_opt.state_dict()["state"]
    assert sorted(mine) == sorted(reference)
    for index, entry in reference.items():
        assert list(mine[index]) == list(entry), index
        for key, value in entry.items():
            np.testing.assert_allclose(as_numpy(mine[index][key]), as_numpy(value), rtol=rtol, atol=atol,
                                       err_msg=f"state[{index}][{key!r}]")


@needs_torch
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_parameters_and_state_match_torch_at_every_step(name, kwargs):
    values = initial_values()

    def compare(ours, theirs, opt, torch_opt):
        assert_params_equal(ours, theirs)
        assert_state_matches(opt, torch_opt)

    lockstep(name, kwargs, values, STEPS, compare)
    final = make_params(tinynn, values)
    train(tinynn, lambda p: getattr(optim, name)(list(p.values()), **kwargs), final, 2)
    assert not np.allclose(final["w1"].detach().numpy(), values["w1"])  # the configuration moves


@needs_torch
@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"])
def test_param_groups_with_their_own_options_match_torch(name):
    values = initial_values(seed=3)
    ours, theirs = make_params(tinynn, values), make_params(torch, values)
    special = {"Adadelta": {"rho": 0.7}, "Adamax": {"betas": (0.7, 0.9)}, "NAdam": {"momentum_decay": 0.02},
               "RAdam": {"decoupled_weight_decay": True}, "ASGD": {"t0": 2}}[name]

    def groups(p):
        return [{"params": [p["w1"], p["b1"]], "lr": 0.05, **special},
                {"params": [p["w2"], p["cube"]], "weight_decay": 0.1},
                {"params": [p["scale"]]}]

    train(tinynn, lambda p: getattr(optim, name)(groups(p), lr=0.01), ours, 8)
    train(torch, lambda p: getattr(torch.optim, name)(groups(p), lr=0.01), theirs, 8)
    assert_params_equal(ours, theirs)


# ---------------------------------------------------------------------- state dicts
STATEFUL = [("Adadelta", dict(weight_decay=0.1)), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
            ("RAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.05, t0=2))]
# NAdam's mu_product and ASGD's eta and mu are float32 while training but load as the parameters'
# float64 (PyTorch casts them the same way), so a reloaded run differs in the 8th digit.
SCALAR_STATE_RTOL = {"NAdam": 1e-6, "ASGD": 1e-6}


@pytest.mark.cpu_only  # memory sharing of host tensors
@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_state_dict_round_trip_through_save_and_load_continues_the_same(tmp_path, name, kwargs):
    params = make_params(tinynn, initial_values(seed=7))
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
    assert restored.param_groups[0] == {**opt.param_groups[0], "params": list(clone.values())}
    for _ in range(4):
        one_step(params, opt)
        one_step(clone, restored)
    rtol = SCALAR_STATE_RTOL.get(name, 0.0)
    for key in params:
        np.testing.assert_allclose(params[key].detach().numpy(), clone[key].detach().numpy(), rtol=rtol, atol=0,
                                   err_msg=key)
    assert all(not np.shares_memory(a._data, b._data)
               for s1, s2 in zip(opt.state.values(), restored.state.values())
               for a, b in zip(s1.values(), s2.values()) if isinstance(a, tinynn.Tensor))


@needs_torch
@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_state_dict_has_torchs_layout_and_a_torch_state_loads_the_same_way(name, kwargs):
    values = initial_values(seed=9)
    captured = {}

    def compare(ours, theirs, opt, torch_opt):
        captured.update(ours=ours, theirs=theirs, opt=opt, torch_opt=torch_opt)

    lockstep(name, kwargs, values, 3, compare)
    mine, reference = captured["opt"].state_dict(), captured["torch_opt"].state_dict()
    assert_state_matches(captured["opt"], captured["torch_opt"])
    for index, entry in reference["state"].items():
        for key, value in entry.items():
            assert mine["state"][index][key].shape == tuple(value.shape), (index, key)
            assert str(mine["state"][index][key].dtype) == str(value.dtype).replace("torch.", ""), (index, key)
    for group, ref_group in zip(mine["param_groups"], reference["param_groups"]):
        assert {k: v for k, v in group.items()} == {k: ref_group[k] for k in group}

    # PyTorch's state dict, as tinynn tensors, loads into a fresh tinynn optimizer; a fresh PyTorch
    # optimizer loads the original: both then continue identically.
    converted = {"state": {i: {k: tinynn.tensor(v.numpy()) for k, v in s.items()}
                           for i, s in reference["state"].items()},
                 "param_groups": reference["param_groups"]}
    fresh = make_params(tinynn, {k: v.detach().numpy().copy() for k, v in captured["theirs"].items()})
    fresh_torch = make_params(torch, {k: v.detach().numpy().copy() for k, v in captured["theirs"].items()})
    loaded = getattr(optim, name)(list(fresh.values()))
    loaded.load_state_dict(converted)
    loaded_torch = getattr(torch.optim, name)(list(fresh_torch.values()))
    loaded_torch.load_state_dict(reference)
    train(tinynn, lambda p: loaded, fresh, 4)
    train(torch, lambda p: loaded_torch, fresh_torch, 4)
    assert_params_equal(fresh, fresh_torch)
    assert_state_matches(loaded, loaded_torch)


# ---------------------------------------------------------------------- the update rules, without PyTorch
def first_step(name, kwargs, p0, g):
    w = tinynn.tensor(p0.copy(), requires_grad=True)
    w.grad = tinynn.tensor(g.copy())
    getattr(optim, name)([w], **kwargs).step()
    return w.detach().numpy()


def test_first_steps_follow_the_closed_forms():
    p0, g = rand(4, 3, seed=1), rand(4, 3, seed=2)
    # Adadelta: u = 0, so dx = sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g
    expected = p0 - 0.5 * np.sqrt(1e-4) / np.sqrt(0.2 * g * g + 1e-4) * g
    np.testing.assert_allclose(first_step("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4), p0, g), expected, rtol=1e-13)
    # Adamax: m = (1 - beta1) g and u = |g| + eps; the bias correction cancels (1 - beta1)
    expected = p0 - 0.01 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(first_step("Adamax", dict(lr=0.01), p0, g), expected, rtol=1e-13)
    # RAdam: rho_1 = 1 <= 5, so a plain step along m_hat = g
    np.testing.assert_allclose(first_step("RAdam", dict(lr=0.01), p0, g), p0 - 0.01 * g, rtol=1e-13)
    # NAdam: the denominator is |g| + eps; the two parts weigh g by (1 - mu1)/(1 - mu1) and m by mu2
    mu1, mu2 = (0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2))
    d = np.abs(g) + 1e-8
    expected = p0 - 0.01 * g / d - 0.01 * mu2 / (1 - mu1 * mu2) * 0.1 * g / d
    np.testing.assert_allclose(first_step("NAdam", dict(lr=0.01), p0, g), expected, rtol=1e-6)  # P_1: float32
    # ASGD: eta_0 = lr, rounded to float32 as PyTorch stores it
    eta = float(np.float32(0.05))
    expected = p0 * (1 - 1e-3 * eta) - eta * g
    np.testing.assert_allclose(first_step("ASGD", dict(lr=0.05, lambd=1e-3), p0, g), expected, rtol=1e-14)


def test_asgd_ax_is_the_mean_of_the_iterates_after_t0():
    w = tinynn.tensor(rand(5, seed=3), requires_grad=True)
    opt = optim.ASGD([w], lr=0.1, t0=2)
    iterates = []
    for step in range(8):
        w.grad = tinynn.tensor(rand(5, seed=40 + step))
        opt.step()
        iterates.append(w.detach().numpy().copy())
        assert opt.state[w]["step"] == step + 1
    # mu = 1 / max(1, t - t0) is 1 until step t0 + 1, so ax = mean(p_t0+2, ..., p_t) (up to mu's float32)
    np.testing.assert_allclose(opt.state[w]["ax"].numpy(), np.mean(iterates[3:], axis=0), rtol=1e-6)
    assert not np.allclose(opt.state[w]["ax"].numpy(), np.mean(iterates[2:], axis=0), rtol=1e-3)
    eta = opt.state[w]["eta"]
    assert eta.dtype == np.float32 and eta.item() == pytest.approx(0.1 / (1 + 1e-4 * 0.1 * 8) ** 0.75, rel=1e-7)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"])
def test_decreases_a_convex_quadratic_and_maximize_on_its_negation_takes_the_same_path(name):
    curvature = tinynn.tensor(rand(6, 4, seed=2, low=0.5, high=2.0))
    lr = {"Adadelta": 10.0, "ASGD": 0.1}.get(name, 0.1)
    runs = {}
    for maximize in (False, True):
        w = tinynn.tensor(rand(6, 4, seed=3) + 2.0, requires_grad=True)
        opt = getattr(optim, name)([w], lr=lr, maximize=maximize)
        losses = []
        for _ in range(40):
            opt.zero_grad()
            quadratic = (curvature * w * w).sum()
            (-quadratic if maximize else quadratic).backward()
            opt.step()
            losses.append(quadratic.item())
        runs[maximize] = (losses, w.detach().numpy())
    losses = runs[False][0]
    assert losses[-1] < 0.5 * losses[0], losses[::10]
    np.testing.assert_array_equal(runs[True][1], runs[False][1])


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"])
def test_float32_parameters_stay_float32_and_step_bumps_the_version(name):
    w = tinynn.tensor(rand(4, 3, seed=2).astype(np.float32), requires_grad=True)
    opt = getattr(optim, name)([w], weight_decay=0.1)
    version = w._version
    for step in range(3):
        w.grad = tinynn.tensor(rand(4, 3, seed=20 + step).astype(np.float32))
        opt.step()
    assert w.dtype == np.float32 and w._version == version + 3
    assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, tinynn.Tensor))


# ---------------------------------------------------------------------- errors
def test_invalid_arguments_are_refused_with_clear_errors():
    w = tinynn.zeros(2, requires_grad=True)
    for name in ("Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"):
        with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
            getattr(optim, name)([w], lr=-0.1)
        with pytest.raises(ValueError, match="Invalid weight_decay value"):
            getattr(optim, name)([w], weight_decay=-1.0)
        with pytest.raises(NotImplementedError, match="capturable=True is not supported"):
            getattr(optim, name)([w], capturable=True)
        with pytest.raises(NotImplementedError, match="differentiable=True"):
            getattr(optim, name)([w], differentiable=True)
        getattr(optim, name)([w], foreach=True)  # accepted and ignored
    for rho in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"Invalid rho value: .* \(expected 0 <= rho <= 1\)"):
            optim.Adadelta([w], rho=rho)
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        optim.Adadelta([w], eps=-1e-6)
    for name in ("Adamax", "NAdam", "RAdam"):
        with pytest.raises(ValueError, match="beta parameter at index 1"):
            getattr(optim, name)([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid momentum_decay value"):
        optim.NAdam([w], momentum_decay=-1.0)


def test_sparse_adam_explains_that_tinynn_has_no_sparse_gradients():
    w = tinynn.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="no sparse gradients.*use tinynn.optim.Adam"):
        optim.SparseAdam([w], lr=0.01)
    assert issubclass(optim.SparseAdam, optim.Optimizer)
