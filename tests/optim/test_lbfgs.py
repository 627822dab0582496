"""LBFGS (tinynn/optim/lbfgs.py): PyTorch's iterates and closure calls, state dicts, errors.

Parity: the same problem from the same float64 start, several ``step(closure)`` calls; every point
at which the closure was evaluated, the returned losses and the counts (closure calls,
``func_evals``, ``n_iter``) must agree with PyTorch's.
"""
import numpy as np
import pytest

import tinynn
from tinynn import optim
from tinynn.serialization import load, save
from tests.helpers import as_numpy, needs_torch, rand, torch

A, B = rand(8, 3, seed=1), rand(8, 2, seed=2)


def rosenbrock(lib, params):
    (x,) = params
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def least_squares(lib, params):
    """mean((A W + b - B)^2) + 0.01 |W|^2; the third parameter is unused (its gradient stays None)."""
    w, b, _ = params
    a, target = lib.tensor(A), lib.tensor(B)
    return ((a @ w + b - target) ** 2).mean() + 0.01 * (w * w).sum()


PROBLEMS = {
    "rosenbrock": (rosenbrock, lambda: [np.array([-1.5, 2.0])]),
    "least_squares": (least_squares, lambda: [rand(3, 2, seed=3), rand(2, seed=4), rand(4, seed=5)]),
}


def run(lib, problem: str, steps: int, **kwargs):
    """``steps`` LBFGS steps; returns (losses, calls, counts, params, optimizer)."""
    objective, start = PROBLEMS[problem]
    params = [lib.tensor(v, requires_grad=True) for v in start()]
    opt = (optim if lib is tinynn else torch.optim).LBFGS(params, **kwargs)
    calls = []

    def closure():
        opt.zero_grad()
        loss = objective(lib, params)
        loss.backward()
        calls.append(np.concatenate([as_numpy(p).ravel() for p in params]))
        return loss

    losses, counts = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        state = opt.state[params[0]]
        counts.append((len(calls), state["func_evals"], state["n_iter"]))
    return losses, calls, counts, params, opt


CONFIGS = [
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(max_iter=7)),  # fixed steps of lr = 1 (longer runs turn chaotic at 1e-10)
    ("rosenbrock", dict(lr=0.5, max_iter=7, history_size=2, line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(max_iter=10, max_eval=4, line_search_fn="strong_wolfe")),  # the search runs out
    ("least_squares", dict(line_search_fn="strong_wolfe", history_size=2, max_iter=6, tolerance_grad=1e-5)),
    ("least_squares", dict(lr=0.3, max_iter=5, tolerance_change=1e-3)),
]


@needs_torch
@pytest.mark.parametrize("problem,kwargs", CONFIGS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(CONFIGS)])
def test_iterates_losses_and_closure_calls_match_torch(problem, kwargs):
    ours = run(tinynn, problem, 4, **kwargs)
    theirs = run(torch, problem, 4, **kwargs)
    assert ours[2] == theirs[2]  # closure calls, func_evals and n_iter after each step
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)  # every evaluated point
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    for p, q in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(as_numpy(p), as_numpy(q), rtol=1e-10, atol=1e-12)
    assert ours[0][-1] < ours[0][0]


def test_strong_wolfe_solves_rosenbrock_and_a_quadratic():
    losses, calls, counts, (x,), opt = run(tinynn, "rosenbrock", 4, line_search_fn="strong_wolfe")
    assert losses[0] == 12.5 and losses[-1] < 1e-9  # f(-1.5, 2) = 2.5^2 + 100 * 0.25^2, down to ~0
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-5)
    assert counts[-1][0] == counts[-1][1] == len(calls)  # func_evals counts every closure call
    # a strictly convex quadratic 0.5 x'Hx - c'x: L-BFGS reaches H^-1 c
    h = rand(5, 5, seed=8)
    h = h @ h.T + 5 * np.eye(5)
    c = rand(5, seed=9)
    x = tinynn.zeros(5, dtype=tinynn.float64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=50, tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (tinynn.tensor(h) @ x)) - tinynn.tensor(c) @ x
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(h, c), rtol=1e-6, atol=1e-8)


def test_a_step_at_the_optimum_calls_the_closure_once_and_moves_nothing():
    x = tinynn.tensor([1.0, 1.0], dtype=tinynn.float64, requires_grad=True)
    opt = optim.LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(tinynn, [x])
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and x.tolist() == [1.0, 1.0] and opt.state[x] == {"func_evals": 1, "n_iter": 0}


def test_fixed_steps_skip_the_closure_after_the_last_iteration():
    losses, calls, counts, _, _ = run(tinynn, "rosenbrock", 1, lr=0.1, max_iter=5)
    assert counts == [(5, 5, 5)]  # 1 at the start + 4 after the first 4 of the 5 steps


# ---------------------------------------------------------------------- state dicts
@pytest.mark.cpu_only
def test_state_dict_round_trip_through_save_and_load_continues_identically(tmp_path):
    kwargs = dict(line_search_fn="strong_wolfe", history_size=3, max_iter=4)
    _, _, _, params, opt = run(tinynn, "least_squares", 2, **kwargs)
    save(opt.state_dict(), tmp_path / "lbfgs.pt")
    clone = [tinynn.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    restored = optim.LBFGS(clone, lr=5.0)
    restored.load_state_dict(load(tmp_path / "lbfgs.pt"))
    assert restored.param_groups[0]["lr"] == 1 and restored.param_groups[0]["history_size"] == 3
    state, saved = restored.state[clone[0]], opt.state[params[0]]
    assert list(state) == list(saved) and len(state["old_dirs"]) == 3
    assert not any(np.shares_memory(a._data, b._data) for a, b in zip(state["old_dirs"], saved["old_dirs"]))
    for ps, o in ((params, opt), (clone, restored)):
        def closure(ps=ps, o=o):
            o.zero_grad()
            loss = least_squares(tinynn, ps)
            loss.backward()
            return loss
        for _ in range(2):
            o.step(closure)
    for p, q in zip(params, clone):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@needs_torch
def test_state_dict_has_torchs_keys_and_a_torch_state_loads_and_continues():
    kwargs = dict(line_search_fn="strong_wolfe", history_size=3, max_iter=4)
    ours, theirs = run(tinynn, "least_squares", 2, **kwargs), run(torch, "least_squares", 2, **kwargs)
    mine, reference = ours[4].state_dict(), theirs[4].state_dict()
    assert list(mine["state"]) == list(reference["state"]) == [0]
    assert list(mine["state"][0]) == list(reference["state"][0])
    assert mine["param_groups"] == reference["param_groups"]
    for key in ("d", "prev_flat_grad"):
        np.testing.assert_allclose(as_numpy(mine["state"][0][key]), as_numpy(reference["state"][0][key]),
                                   rtol=1e-10, atol=1e-12)
    for key in ("old_dirs", "old_stps", "ro"):
        for a, b in zip(mine["state"][0][key], reference["state"][0][key]):
            np.testing.assert_allclose(as_numpy(a), as_numpy(b), rtol=1e-10, atol=1e-12)

    def converted(value):
        if isinstance(value, torch.Tensor):
            return tinynn.tensor(value.numpy())
        return [converted(v) for v in value] if isinstance(value, list) else value

    state = {0: {k: converted(v) for k, v in reference["state"][0].items()}}
    fresh = [tinynn.tensor(as_numpy(p).copy(), requires_grad=True) for p in theirs[3]]
    loaded = optim.LBFGS(fresh)
    loaded.load_state_dict({"state": state, "param_groups": reference["param_groups"]})
    results = []
    for lib, ps, o in ((tinynn, fresh, loaded), (torch, theirs[3], theirs[4])):
        def closure(lib=lib, ps=ps, o=o):
            o.zero_grad()
            loss = least_squares(lib, ps)
            loss.backward()
            return loss
        results.append([float(o.step(closure).detach()) for _ in range(2)] + [as_numpy(p) for p in ps])
    np.testing.assert_allclose(results[0][:2], results[1][:2], rtol=1e-10)
    for p, q in zip(results[0][2:], results[1][2:]):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- errors
def test_invalid_use_is_refused_with_clear_errors():
    a, b = tinynn.zeros(2, requires_grad=True), tinynn.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([a], lr=-1)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = optim.LBFGS([a])
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    opt.add_param_group({"params": [b]})
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        opt.step(lambda: (a * a).sum())

    a.grad = None
    opt = optim.LBFGS([a], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only line_search_fn='strong_wolfe' is supported, got 'armijo'"):
        opt.step(closure)
    assert optim.LBFGS([a]).param_groups[0]["max_eval"] == 25  # max_iter * 5 // 4
