"""In-place writes into views of tensors in the graph (tinynn/ops/inplace_views.py): the base's history
gains a copy-slices step, every view sees the new numbers, and the gradients are PyTorch's."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, check_gradients, leaf, needs_torch, rand, torch

# name -> f(lib, y, w): take a view of y (a (3, 4) non-leaf), change it in place using w (shape (4,))
VIEW_WRITES = {
    "row mul_": lambda lib, y, w: y[1].mul_(w),
    "column add_": lambda lib, y, w: y[:, 2].add_(w[:3]),
    "slice setitem": lambda lib, y, w: y[1:, ::2].__setitem__((0, slice(None)), w[:2] * 5),
    "reshape masked setitem": lambda lib, y, w: _masked(y.reshape(2, 6), w),
    "transpose copy_": lambda lib, y, w: y.t()[0].copy_(w[:3] * 2),
    "permute fill_": lambda lib, y, w: y.permute(1, 0)[3].fill_(7.0),
    "unsqueeze zero_": lambda lib, y, w: y.unsqueeze(0)[0, 2].zero_(),
    "narrow clamp_": lambda lib, y, w: y.narrow(1, 1, 2).clamp_(-0.2, 0.3),
    "select exp_": lambda lib, y, w: y.select(1, 3).exp_(),
    "view of a view": lambda lib, y, w: y[1:][0, 1:].mul_(w[1:]),
    "flatten div_": lambda lib, y, w: y.view(-1)[3:7].div_(w + 2),
}


def _masked(v, w):
    v[v > 0.1] = w.sum()
    return v


def run(lib, x0, w0, write):
    x = lib.tensor(x0, requires_grad=True)
    w = lib.tensor(w0, requires_grad=True)
    y = x * 1.5                         # a non-leaf base
    before = y[0]                        # a sibling view taken before the write
    write(lib, y, w)
    after = y[:, 1]                      # a view taken after it
    loss = (y * y).sum() + (before * lib.tensor(np.arange(4.0))).sum() + after.sum() * 3
    loss.backward()
    return y.detach(), before.detach(), x.grad, w.grad


@needs_torch
@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_inplace_write_into_a_view_matches_torch(name):
    x0, w0 = rand(3, 4, seed=1), rand(4, seed=2)
    ours, theirs = run(tinynn, x0, w0, VIEW_WRITES[name]), run(torch, x0, w0, VIEW_WRITES[name])
    for what, a, b in zip(("values", "sibling view", "x.grad", "w.grad"), ours, theirs):
        if b is None:
            assert a is None or np.all(a.numpy() == 0), what
        else:
            assert_close(a, b, what=what)


@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_inplace_write_into_a_view_gradchecks(name):
    def fn(x, w):
        y = x * 1.5
        VIEW_WRITES[name](tinynn, y, w)
        return y * y

    check_gradients(fn, rand(3, 4, seed=1), rand(4, seed=2))


@needs_torch
def test_textbook_masked_softmax_writes_into_a_reshaped_view():
    """d2l's masked_softmax: ``X[~mask] = -1e6`` on ``X.reshape(-1, shape[-1])`` of attention scores."""
    def masked_softmax(lib, X, valid_lens):
        shape = X.shape
        valid_lens = lib.repeat_interleave(valid_lens, shape[1])
        X = X.reshape(-1, shape[-1])
        mask = lib.arange(shape[-1], dtype=lib.float32)[None, :] < valid_lens[:, None]
        X[~mask] = -1e6
        return lib.nn.functional.softmax(X.reshape(shape), dim=-1)

    q, k = rand(2, 3, 4, seed=3), rand(2, 5, 4, seed=4)

    def run_lib(lib):
        tq, tk = lib.tensor(q, requires_grad=True), lib.tensor(k, requires_grad=True)
        scores = lib.bmm(tq, tk.transpose(1, 2)) / 2.0
        weights = masked_softmax(lib, scores, lib.tensor([2, 4]))
        (weights * lib.tensor(rand(2, 3, 5, seed=5))).sum().backward()
        return weights.detach(), tq.grad, tk.grad

    for a, b in zip(run_lib(tinynn), run_lib(torch)):
        assert_close(a, b)


@needs_torch
def test_inplace_on_a_base_rebases_its_views():
    def run_lib(lib):
        x = lib.tensor(rand(2, 3, seed=6), requires_grad=True)
        y = x * 2
        row, col = y[0], y[:, 1]
        y.mul_(x)                          # the base changes: the views see it, and their gradients follow
        (row * 3 + 1).sum().backward(retain_graph=True)
        g_row = x.grad.clone()
        x.grad = None
        (col ** 2).sum().backward()
        return row.detach(), col.detach(), g_row, x.grad

    for a, b in zip(run_lib(tinynn), run_lib(torch)):
        assert_close(a, b)


def test_unsafe_cases_still_raise():
    x = leaf(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
        x[0].mul_(2)
    y = x.exp()                            # Exp saves its output; writing into it through a view changes it
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    z = (x * 1).expand(3, 2, 2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        z.mul_(2)
    for pieces in ((x * 1).unbind(0), (x * 1).chunk(2, dim=1), (x * 1).split(1)):
        with pytest.raises(RuntimeError, match="returns multiple views"):
            pieces[1].mul_(2)


def test_writes_outside_the_graph_still_write_memory():
    base = tinynn.zeros(2, 3)
    base.reshape(6)[[1, 4]] = tinynn.tensor([5.0, 6.0])
    assert base.tolist() == [[0.0, 5.0, 0.0], [0.0, 6.0, 0.0]]
    value = tinynn.tensor([1.0, 2.0], requires_grad=True)
    scores = tinynn.zeros(2, 3)            # not in the graph, until a value that requires grad is written
    scores.reshape(6)[[0, 5]] = value * 3
    assert scores.requires_grad and scores.tolist() == [[3.0, 0.0, 0.0], [0.0, 0.0, 6.0]]
    (scores * tinynn.arange(6.0).reshape(2, 3)).sum().backward()
    assert value.grad.tolist() == [0.0, 15.0]


def test_reshape_of_a_non_contiguous_tensor_is_a_copy_not_a_view():
    x = tinynn.arange(12.0).reshape(3, 4).t()
    flat = x.reshape(12)                   # NumPy copies here: writing into it must not touch x
    flat[0] = 100.0
    assert x[0, 0].item() == 0.0 and flat._base is None
