"""tinynn.autograd.functional: jacobian, hessian, vjp, jvp, hvp against closed forms and PyTorch."""
import numpy as np

import tinynn
from tinynn.autograd import functional as AF
from tests.helpers import assert_close, leaf, needs_torch, rand, torch


def cubic(x):
    return (x**3).sum() + (x[0] * x[1])


def test_jacobian_of_an_elementwise_map_is_diagonal():
    x = leaf(rand(3, seed=1))
    jac = AF.jacobian(lambda t: t.sin(), x)
    assert_close(jac, np.diag(np.cos(x.detach().numpy())))


def test_jacobian_shape_for_several_inputs():
    a, b = leaf(rand(2, 3, seed=1)), leaf(rand(3, seed=2))
    ja, jb = AF.jacobian(lambda a, b: a @ b, (a, b))
    assert ja.shape == (2, 2, 3) and jb.shape == (2, 3)
    assert_close(jb, a.detach().numpy())


def test_hessian_matches_the_closed_form():
    x = leaf(np.array([0.5, -1.0, 2.0]))
    h = AF.hessian(cubic, x)
    expected = np.diag(6 * x.detach().numpy())
    expected[0, 1] = expected[1, 0] = 1.0
    assert_close(h, expected)


def test_hvp_and_vjp_and_jvp():
    x = leaf(np.array([0.5, -1.0, 2.0]))
    v = tinynn.tensor([1.0, 2.0, 3.0], dtype=tinynn.float64)
    _, hv = AF.hvp(cubic, x, v)
    h = np.diag(6 * x.detach().numpy())
    h[0, 1] = h[1, 0] = 1.0
    assert_close(hv, h @ v.numpy())
    out, vj = AF.vjp(lambda t: t * t, x, v)
    assert_close(vj, 2 * x.detach().numpy() * v.numpy())
    out, jv = AF.jvp(lambda t: t * t, x, v)
    assert_close(jv, 2 * x.detach().numpy() * v.numpy())
    assert_close(out, x.detach().numpy() ** 2)


@needs_torch
def test_hessian_matches_torch():
    data = rand(4, seed=3)

    def f_ours(t):
        return (t.tanh() * t.exp()).sum()

    def f_torch(t):
        return (t.tanh() * t.exp()).sum()

    ours = AF.hessian(f_ours, leaf(data))
    theirs = torch.autograd.functional.hessian(f_torch, torch.tensor(data))
    assert_close(ours, theirs)


def test_jacobian_of_an_empty_output_is_empty():
    """One backward pass per output element: none for an empty output, and J has shape (0,) + x.shape."""
    x = leaf(rand(3))
    assert AF.jacobian(lambda t: t[:0] * 2, x).shape == (0, 3)
    assert tinynn.func.jacrev(lambda t: t[:0] * 2)(x).shape == (0, 3)
