"""The backward engine: order, accumulation, graph freeing, hooks, higher derivatives."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import grad
from tests.helpers import assert_close, leaf, needs_torch, rand, torch


def test_ten_thousand_op_chain_runs_without_recursion():
    x = leaf(np.array([0.5]))
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    assert_close(x.grad, np.array([1.0001**10_000]), rtol=1e-9)


def test_diamond_graph_sums_both_paths():
    x = leaf(np.array([2.0, 3.0]))
    a = x * 3
    b = x * x
    (a + b).sum().backward()  # d/dx (3x + x^2) = 3 + 2x
    assert_close(x.grad, np.array([7.0, 9.0]))


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf(np.array([1.0, 2.0]))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert_close(x.grad, np.array([5.0, 5.0]))


def test_leaves_fed_the_same_gradient_do_not_share_memory():
    a, b = leaf(np.zeros(3)), leaf(np.zeros(3))
    (a + b).sum().backward()
    a.grad.mul_(10)  # clip_grad_norm_ does this to every parameter
    assert_close(b.grad, np.ones(3))
    assert_close(a.grad, np.full(3, 10.0))


def test_view_gradient_does_not_alias_other_leaf():
    a, b = leaf(np.zeros((2, 3))), leaf(np.zeros(6))
    (a.reshape(6) + b).sum().backward()
    a.grad.mul_(5)
    assert_close(b.grad, np.ones(6))


def test_non_leaf_gradients_are_not_kept_unless_retained():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 2
    z = x * 3
    z.retain_grad()
    (y * z).sum().backward()
    assert y.grad is None
    assert_close(z.grad, np.array([2.0, 4.0]))
    assert z.retains_grad and not y.retains_grad


def test_backward_on_non_scalar_needs_a_gradient():
    x = leaf(np.ones(3))
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(tinynn.tensor([1.0, 2.0, 3.0], dtype=tinynn.float64))
    assert_close(x.grad, np.array([2.0, 4.0, 6.0]))


def test_backward_gradient_shape_must_match():
    y = leaf(np.ones(3)) * 2
    with pytest.raises(RuntimeError, match="mismatch in shape"):
        y.backward(tinynn.ones(4, dtype=tinynn.float64))


def test_backward_on_tensor_without_graph_explains():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinynn.ones(3).sum().backward()


def test_second_backward_through_freed_graph_raises():
    x = leaf(np.array([1.0, 2.0]))
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf(np.array([1.0, 2.0]))
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert_close(x.grad, np.array([4.0, 8.0]))


def test_no_grad_records_nothing_and_restores_mode():
    x = leaf(np.ones(2))
    with tinynn.no_grad():
        y = x * 2
        assert not tinynn.is_grad_enabled()
        with tinynn.enable_grad():
            z = x * 2
    assert tinynn.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None


def test_no_grad_and_set_grad_enabled_as_decorators():
    @tinynn.no_grad()
    def double(t):
        return t * 2

    @tinynn.set_grad_enabled(False)
    def triple(t):
        return t * 3

    x = leaf(np.ones(2))
    assert tinynn.is_grad_enabled()
    assert not double(x).requires_grad and not triple(x).requires_grad
    with tinynn.set_grad_enabled(False):
        assert not (x * 1).requires_grad
    assert tinynn.is_grad_enabled()


def test_grad_fn_has_a_readable_name():
    x = leaf(np.ones(2))
    assert x.grad_fn is None and x.is_leaf
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward"
    assert "SumBackward" in repr(y)
    assert not y.is_leaf


@pytest.mark.cpu_only
def test_detach_cuts_the_graph_and_shares_memory():
    x = leaf(np.ones(2))
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert np.shares_memory(d.numpy(), y._data)


def test_requires_grad_only_for_floats():
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.tensor([1, 2], requires_grad=True)


def test_hooks_on_leaf_and_non_leaf():
    x = leaf(np.array([1.0, 2.0]))
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 3
    handle = y.register_hook(lambda g: g * 10)  # replaces y's gradient
    y.sum().backward()
    assert_close(x.grad, np.array([30.0, 30.0]))
    assert_close(seen[0], np.array([30.0, 30.0]))
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert_close(x.grad, np.array([3.0, 3.0]))


def test_backward_with_inputs_only_accumulates_those():
    a, b = leaf(np.ones(2)), leaf(np.ones(2))
    (a * b * 2).sum().backward(inputs=[a])
    assert_close(a.grad, np.full(2, 2.0))
    assert b.grad is None


def test_multiple_roots():
    x = leaf(np.array([1.0, 2.0]))
    y1, y2 = (x * 2).sum(), (x * x).sum()
    tinynn.autograd.backward([y1, y2])
    assert_close(x.grad, np.array([4.0, 6.0]))


def test_backward_on_a_leaf():
    x = leaf(np.ones(3))
    x.backward(tinynn.tensor([1.0, 2.0, 3.0], dtype=tinynn.float64))
    assert_close(x.grad, np.array([1.0, 2.0, 3.0]))


def test_gradient_dtype_follows_the_input():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)            # float32
    w = tinynn.tensor([3.0, 4.0], dtype=tinynn.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == tinynn.float32 and w.grad.dtype == tinynn.float64
    assert_close(x.grad, np.array([3.0, 4.0]), rtol=1e-6)


def test_multi_output_op_with_one_output_used():
    x = leaf(np.arange(6.0).reshape(2, 3))
    a, b = x.split([1, 2], dim=1)
    (b * 2).sum().backward()
    assert_close(x.grad, np.array([[0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]))


def test_unused_branch_of_graph_gets_no_gradient():
    x, y = leaf(np.ones(2)), leaf(np.ones(2))
    z = x * 2
    _ = y * 3  # never reaches the loss
    z.sum().backward()
    assert y.grad is None


# ---------------------------------------------------------------- autograd.grad and higher order
def test_grad_returns_without_touching_dot_grad():
    x = leaf(np.array([1.0, 2.0]))
    (g,) = grad((x**3).sum(), x)
    assert_close(g, 3 * np.array([1.0, 4.0]))
    assert x.grad is None


def test_second_derivative_with_create_graph():
    x = leaf(np.array([0.5, -1.0]))
    y = (x**3 + x.sin()).sum()
    (g,) = grad(y, x, create_graph=True)
    (h,) = grad(g.sum(), x)
    assert_close(h, 6 * np.array([0.5, -1.0]) - np.sin([0.5, -1.0]))


def test_third_derivative():
    x = leaf(np.array([0.3]))
    y = x.exp() * x
    (g1,) = grad(y.sum(), x, create_graph=True)
    (g2,) = grad(g1.sum(), x, create_graph=True)
    (g3,) = grad(g2.sum(), x)
    # d^3/dx^3 (x e^x) = (x + 3) e^x
    assert_close(g3, (0.3 + 3) * np.exp([0.3]), rtol=1e-12)


def test_hessian_vector_product_matches_dense_hessian():
    a = rand(3, 3, seed=2)
    A = tinynn.tensor(a @ a.T)
    x = leaf(rand(3, seed=3))
    v = tinynn.tensor(rand(3, seed=4))
    f = (x @ (A @ x)) * 0.5 + (x**4).sum()
    (g,) = grad(f, x, create_graph=True)
    (hv,) = grad((g * v).sum(), x)
    dense = (a @ a.T) + np.diag(12 * x.detach().numpy() ** 2)
    assert_close(hv, dense @ v.numpy(), rtol=1e-12)


def test_grad_of_non_leaf_input():
    x = leaf(np.array([1.0, 2.0]))
    h = x * 2
    y = (h * h).sum()
    (gh,) = grad(y, h)
    assert_close(gh, 2 * np.array([2.0, 4.0]))


def test_grad_unused_input():
    x, y = leaf(np.ones(2)), leaf(np.ones(2))
    with pytest.raises(RuntimeError, match="not to have been used"):
        grad((x * 2).sum(), [x, y])
    gx, gy = grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None
    gx, gy = grad((x * 2).sum(), [x, y], materialize_grads=True)
    assert_close(gy, np.zeros(2))


def test_grad_only_runs_the_part_of_the_graph_it_needs():
    calls = []

    class Spy(tinynn.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x, w = leaf(np.ones(2)), leaf(np.ones(2))
    y = (x * 2).sum() + Spy.apply(w).sum()
    grad(y, x)
    assert calls == []


@needs_torch
def test_double_backward_matches_torch():
    data = rand(4, seed=5)
    x = leaf(data)
    tx = torch.tensor(data, requires_grad=True)
    (g,) = grad((x.tanh() * x.sigmoid()).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tx.tanh() * tx.sigmoid()).sum(), tx, create_graph=True)
    (h,) = grad((g * g).sum(), x)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    assert_close(h, th)
