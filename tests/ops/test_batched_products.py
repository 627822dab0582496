"""addmv, addr, baddbmm, addbmm and Tensor.addmm (tinynn/ops/batched_products.py): values and
gradients against PyTorch (alpha, beta, broadcasting), beta = 0 ignoring NaN, integers, errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

SHAPES = {  # name -> (input, first, second)
    "addmv": ((2,), (2, 3), (3,)), "addr": ((2, 3), (2,), (3,)),
    "baddbmm": ((4, 2, 3), (4, 2, 5), (4, 5, 3)), "addbmm": ((2, 3), (4, 2, 5), (4, 5, 3)),
}


def _inputs(name, input_shape=None):
    shapes = SHAPES[name]
    return [rand(*(input_shape or shapes[0]), seed=0), rand(*shapes[1], seed=1), rand(*shapes[2], seed=2)]


@pytest.mark.parametrize("name", list(SHAPES))
def test_gradcheck(name):
    fn = getattr(tinynn, name)
    check_gradients(lambda a, b, c: fn(a, b, c, beta=0.5, alpha=-2.0), *_inputs(name))


@needs_torch
@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
def test_matches_torch(name, beta, alpha):
    ours, theirs = getattr(tinynn, name), getattr(torch, name)
    assert_matches_torch(lambda a, b, c: ours(a, b, c, beta=beta, alpha=alpha),
                         lambda a, b, c: theirs(a, b, c, beta=beta, alpha=alpha), *_inputs(name))
    broadcast_input = SHAPES[name][0][-1:]  # the input broadcasts to the product's shape
    assert_matches_torch(lambda a, b, c: ours(a, b, c, beta=beta, alpha=alpha),
                         lambda a, b, c: theirs(a, b, c, beta=beta, alpha=alpha), *_inputs(name, broadcast_input))


@needs_torch
def test_methods_and_inplace_match_torch():
    for name in SHAPES:
        a, b, c = _inputs(name)
        ours = getattr(tinynn.tensor(a), name)(tinynn.tensor(b), tinynn.tensor(c), alpha=3)
        theirs = getattr(torch.tensor(a), name)(torch.tensor(b), torch.tensor(c), alpha=3)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
        x = tinynn.tensor(a)
        assert getattr(x, name + "_")(tinynn.tensor(b), tinynn.tensor(c), beta=2) is x
        expected = getattr(torch.tensor(a), name)(torch.tensor(b), torch.tensor(c), beta=2)
        np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-12)
    m = rand(2, 2, seed=3)
    assert_matches_torch(lambda x, y: x.addmm(y, y, beta=0.5), lambda x, y: x.addmm(y, y, beta=0.5), m, m + 1)


def test_beta_zero_ignores_nan_in_the_input():
    out = tinynn.addmv(tinynn.tensor([math.nan, math.inf]), tinynn.ones(2, 3), tinynn.ones(3), beta=0)
    assert out.tolist() == [3.0, 3.0]


@needs_torch
def test_integers_match_torch():
    i = tinynn.zeros(2, 3, dtype=tinynn.int64)
    ours = tinynn.addr(i, tinynn.tensor([1, 2]), tinynn.tensor([1, 2, 3]), alpha=2)
    theirs = torch.addr(torch.zeros(2, 3, dtype=torch.long), torch.tensor([1, 2]), torch.tensor([1, 2, 3]), alpha=2)
    assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        tinynn.addr(i, tinynn.tensor([1, 2]), tinynn.tensor([1, 2, 3]), alpha=0.5)
    mixed = tinynn.addr(tinynn.zeros(2, 3), tinynn.tensor([1.0, 2.0], dtype=tinynn.float64), tinynn.ones(3))
    assert mixed.dtype == np.float64


def test_errors():
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"):
        tinynn.addmv(tinynn.ones(2), tinynn.ones(2, 3), tinynn.ones(4))
    with pytest.raises(RuntimeError, match=r"Incompatible matrix sizes for bmm \(2x5 and 4x3\)"):
        tinynn.addbmm(tinynn.ones(2, 3), tinynn.ones(4, 2, 5), tinynn.ones(4, 4, 3))
    with pytest.raises(RuntimeError, match="batch1 must be a 3-D tensor"):
        tinynn.baddbmm(tinynn.ones(2, 3), tinynn.ones(2, 5), tinynn.ones(5, 3))
    with pytest.raises(RuntimeError, match="does not broadcast to the product's shape"):
        tinynn.addr(tinynn.ones(4), tinynn.ones(2), tinynn.ones(3))
    with pytest.raises(RuntimeError, match="doesn't match the in-place tensor's shape"):
        tinynn.ones(3).baddbmm_(tinynn.ones(4, 2, 5), tinynn.ones(4, 5, 3))
    with pytest.raises(TypeError, match="argument 'vec' must be a Tensor"):
        tinynn.addmv(tinynn.ones(2), tinynn.ones(2, 3), [1.0, 2.0, 3.0])
