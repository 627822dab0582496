"""Shared test helpers: random float64 inputs, gradient checks, and PyTorch parity.

    check_gradients(fn, x, w)         float64 gradcheck (and gradgradcheck) of fn at the inputs
    assert_matches_torch(fn_tinynn, fn_torch, *arrays)
                                      same outputs and same input gradients as PyTorch (float64)
    assert_module_matches_torch(ours, theirs, arrays)
                                      a module against PyTorch's with the same weights (via state_dict):
                                      outputs, input gradients and parameter gradients (float64)

PyTorch is optional: parity tests use the ``needs_torch`` marker and skip cleanly without it.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck

try:
    import torch

    torch.set_num_threads(1)  # tiny ops: a thread pool only adds contention on a small CI machine
except ImportError:  # parity tests skip; everything else runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (pip install -e '.[parity]')")

PARITY_RTOL = 1e-7
PARITY_ATOL = 1e-10


def rand(*shape, seed: int = 0, low: float | None = None, high: float | None = None) -> np.ndarray:
    """A float64 array: standard normal, or uniform in [low, high) when bounds are given."""
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, size=shape)
    return rng.standard_normal(shape)


def leaf(array, requires_grad: bool = True) -> tinynn.Tensor:
    """A float64 tinynn leaf tensor (a copy of ``array``)."""
    return tinynn.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def check_gradients(fn, *inputs, second_order: bool = True, atol: float = 1e-5, rtol: float = 1e-3,
                    fast_mode: bool = False) -> None:
    """gradcheck ``fn`` at ``inputs`` (arrays become float64 leaves), and gradgradcheck it too."""
    tensors = tuple(leaf(x) if isinstance(x, np.ndarray) else x for x in inputs)
    assert gradcheck(fn, tensors, atol=atol, rtol=rtol, fast_mode=fast_mode)
    if second_order:
        assert gradgradcheck(fn, tensors, atol=atol, rtol=rtol, fast_mode=fast_mode)


def to_torch(array, requires_grad: bool = True):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def as_numpy(value) -> np.ndarray:
    if isinstance(value, tinynn.Tensor):
        return np.asarray(value.detach().numpy())
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_close(actual, expected, rtol: float = PARITY_RTOL, atol: float = PARITY_ATOL, what: str = "") -> None:
    a, e = as_numpy(actual), as_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def assert_matches_torch(fn_tinynn, fn_torch, *arrays, rtol: float = PARITY_RTOL, atol: float = PARITY_ATOL,
                         grad_seed: int = 1, differentiable=None) -> None:
    """Run both functions on the same float64 inputs; compare outputs and input gradients.

    ``differentiable`` lists which inputs get gradients (default: all float arrays). Outputs may be
    a tensor or a tuple of tensors; each float output is weighted by a fixed random upstream
    gradient so that every element's gradient path is exercised.
    """
    if differentiable is None:
        differentiable = [np.asarray(a).dtype.kind == "f" for a in arrays]
    ours = [tinynn.tensor(np.asarray(a), requires_grad=d) if d else tinynn.tensor(np.asarray(a))
            for a, d in zip(arrays, differentiable)]
    theirs = [torch.tensor(np.asarray(a), requires_grad=bool(d)) for a, d in zip(arrays, differentiable)]
    _compare_runs(fn_tinynn(*ours), fn_torch(*theirs), ours, theirs, differentiable, rtol, atol, grad_seed)


def _compare_runs(out_ours, out_theirs, ours_in, theirs_in, differentiable, rtol, atol, grad_seed) -> None:
    """Compare outputs, then backpropagate a fixed random weighting of every float output through
    both and compare the gradients of the differentiable inputs."""
    outs_ours = out_ours if isinstance(out_ours, (tuple, list)) else (out_ours,)
    outs_theirs = out_theirs if isinstance(out_theirs, (tuple, list)) else (out_theirs,)
    assert len(outs_ours) == len(outs_theirs), "different number of outputs"
    loss_ours, loss_theirs = 0, 0
    for k, (o, t) in enumerate(zip(outs_ours, outs_theirs)):
        assert_close(o, t, rtol, atol, what=f"output {k}")
        if isinstance(o, tinynn.Tensor) and o.requires_grad:
            weights = rand(*o.shape, seed=grad_seed + k)
            loss_ours = loss_ours + (o * tinynn.tensor(weights)).sum()
            loss_theirs = loss_theirs + (t * torch.tensor(weights)).sum()
    if isinstance(loss_ours, int):  # nothing to differentiate
        return
    loss_ours.backward()
    loss_theirs.backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if differentiable[i]:
            expected = b.grad if b.grad is not None else torch.zeros_like(b)
            got = a.grad if a.grad is not None else tinynn.zeros_like(a)
            assert_close(got, expected, rtol, atol, what=f"gradient of input {i}")


def assert_module_matches_torch(ours, theirs, arrays, call=None, rtol: float = PARITY_RTOL, atol: float = PARITY_ATOL,
                                differentiable=None, grad_seed: int = 1) -> None:
    """Copy ``ours``' weights into ``theirs`` through state_dict, run both on the same float64 inputs,
    and compare outputs, input gradients and every parameter's gradient (matched by name).

    ``call(module, *tensors)`` runs a module (default: ``module(*tensors)``); it may return a tensor
    or a tuple. Both modules should already be float64 (``.double()``). ``differentiable`` lists
    which inputs get gradients (default: the float arrays); parameters always do.
    """
    call = call or (lambda module, *xs: module(*xs))
    theirs.load_state_dict({k: torch.tensor(np.asarray(v.numpy())) for k, v in ours.state_dict().items()})
    if differentiable is None:
        differentiable = [np.asarray(a).dtype.kind == "f" for a in arrays]
    ours_in = [tinynn.tensor(np.asarray(a), requires_grad=bool(d)) for a, d in zip(arrays, differentiable)]
    theirs_in = [torch.tensor(np.asarray(a), requires_grad=bool(d)) for a, d in zip(arrays, differentiable)]
    _compare_runs(call(ours, *ours_in), call(theirs, *theirs_in), ours_in, theirs_in, differentiable,
                  rtol, atol, grad_seed)
    torch_params = dict(theirs.named_parameters())
    assert set(torch_params) == {name for name, _ in ours.named_parameters()}, "parameter names differ"
    for name, p in ours.named_parameters():
        expected = torch_params[name].grad
        assert (p.grad is None) == (expected is None), f"gradient of {name}: only one side has one"
        if expected is not None:
            assert_close(p.grad, expected, rtol, atol, what=f"gradient of parameter {name}")
