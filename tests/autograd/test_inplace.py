"""In-place operations: exact PyTorch gradients or a clear error, never a silent wrong gradient."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, leaf, needs_torch, rand, torch


def test_inplace_outside_the_graph_writes_memory_and_views_see_it():
    x = tinynn.zeros(2, 3)
    row = x[0]
    x.add_(1)
    x[1, 2] = 5.0
    assert_close(row, np.ones(3))
    assert x[1, 2].item() == 5.0
    assert x._version == 2 and row._version == 2  # views share the version counter


def test_inplace_on_leaf_requiring_grad_raises_but_works_under_no_grad():
    w = leaf(np.ones(3))
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 2.0
    with tinynn.no_grad():
        w.mul_(3)
        w[0] = 7.0
    assert_close(w, np.array([7.0, 3.0, 3.0]))


def test_modifying_a_saved_tensor_raises_at_backward():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 2
    z = (y * y).sum()  # Mul saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_modifying_a_saved_output_raises_at_backward():
    x = leaf(np.array([1.0, 2.0]))
    y = x.exp()  # Exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_optimizer_style_update_of_a_saved_parameter_raises():
    w = leaf(np.array([1.0, 2.0]))
    x = tinynn.tensor([3.0, 4.0], dtype=tinynn.float64)
    loss = (w * x).sum() * (w * w).sum()
    with tinynn.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_modifying_a_tensor_not_saved_is_fine():
    x = leaf(np.array([1.0, 2.0]))
    y = x + 1  # Add saves nothing
    y.mul_(3)  # y = 3 (x + 1): the in-place op joins the graph
    y.sum().backward()
    assert_close(x.grad, np.array([3.0, 3.0]))


@needs_torch
@pytest.mark.parametrize("op", ["add_", "mul_", "div_", "sub_", "pow_", "clamp_", "masked_fill_", "tanh_", "exp_"])
def test_inplace_in_graph_matches_torch(op):
    data, other = rand(2, 3, seed=1), rand(2, 3, seed=2, low=0.5, high=2.0)

    def run(lib, x0, w):
        y = x0 * 1.5
        if op == "pow_":
            y.pow_(2)
        elif op == "clamp_":
            y.clamp_(-0.5, 0.5)
        elif op == "masked_fill_":
            y.masked_fill_(y > 0.2, 0.0)
        elif op in ("tanh_", "exp_"):
            getattr(y, op)()
        else:
            getattr(y, op)(w)
        return (y * y).sum()

    x, w = leaf(data), leaf(other)
    tx, tw = torch.tensor(data, requires_grad=True), torch.tensor(other, requires_grad=True)
    run(tinynn, x, w).backward()
    run(torch, tx, tw).backward()
    assert_close(x.grad, tx.grad)
    if tw.grad is not None:
        assert_close(w.grad, tw.grad)


@needs_torch
def test_setitem_in_graph_matches_torch():
    data, value = rand(3, 4, seed=1), rand(2, 4, seed=2)

    def run(x, v):
        y = x * 2
        y[[0, 2]] = v * 3
        y[1, 1:3] = 0.0
        return (y * y.detach() + y).sum()

    x, v = leaf(data), leaf(value)
    tx, tv = torch.tensor(data, requires_grad=True), torch.tensor(value, requires_grad=True)
    run(x, v).backward()
    run(tx, tv).backward()
    assert_close(x.grad, tx.grad)
    assert_close(v.grad, tv.grad)


def test_inplace_dtype_and_shape_errors():
    x = tinynn.zeros(3, dtype=tinynn.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(0.5)
    y = tinynn.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match"):
        y.add_(tinynn.ones(2, 3))


def test_copy_and_fill_and_zero():
    x = tinynn.zeros(2, 2)
    x.copy_(tinynn.tensor([1.0, 2.0]))
    assert_close(x, np.array([[1.0, 2.0], [1.0, 2.0]]))
    x.fill_(3.0)
    assert_close(x, np.full((2, 2), 3.0))
    x.zero_()
    assert_close(x, np.zeros((2, 2)))


def test_copy_into_graph_tensor_gives_zero_gradient_to_old_value():
    x = leaf(np.ones(3))
    src = leaf(np.array([1.0, 2.0, 3.0]))
    y = x * 2
    y.copy_(src * 5)
    y.sum().backward()
    assert_close(x.grad, np.zeros(3))
    assert_close(src.grad, np.full(3, 5.0))


def test_augmented_assignment_rebinds_in_graph():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 1
    y += x * x  # in place on a non-leaf: allowed, joins the graph
    y.sum().backward()
    assert_close(x.grad, 1 + 2 * np.array([1.0, 2.0]))
