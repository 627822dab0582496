"""scatter_reduce and scatter(reduce=...) (tinynn/ops/scatter_reduce.py): gradients and PyTorch parity."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

REDUCES = ["sum", "prod", "mean", "amax", "amin"]
# (dim, index, x shape, src shape): repeated targets in every case; the last has src larger than index
CASES = {
    "dim1": (1, np.array([[0, 2, 2, 0], [1, 1, 1, 0], [3, 3, 0, 2]]), (3, 4), (3, 4)),
    "dim0": (0, np.array([[0, 1, 0], [0, 2, 2]]), (3, 3), (2, 3)),
    "src larger": (1, np.array([[1, 1], [0, 2]]), (2, 3), (2, 4)),
}


def _run(lib, dim, index, reduce, include_self):
    return lambda x, src: x.scatter_reduce(dim, lib.tensor(index), src, reduce, include_self=include_self)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("case", list(CASES))
def test_scatter_reduce_gradcheck(case, reduce, include_self):
    dim, index, x_shape, src_shape = CASES[case]
    # distinct values, away from 0: amax/amin and prod are smooth there
    x = rand(*x_shape, seed=1, low=0.5, high=1.5)
    src = rand(*src_shape, seed=2, low=0.5, high=1.5)
    check_gradients(_run(tinynn, dim, index, reduce, include_self), x, src, second_order=reduce != "prod")


@needs_torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("case", list(CASES))
def test_scatter_reduce_matches_torch(case, reduce, include_self):
    dim, index, x_shape, src_shape = CASES[case]
    # PyTorch's backward fails for a src larger than index (prod, amax, amin) or gives a gradient of
    # index's shape (sum, mean): compare what it can give; the gradcheck above covers tinynn's
    differentiable = [reduce in ("sum", "mean") or src_shape == index.shape, src_shape == index.shape]
    assert_matches_torch(_run(tinynn, dim, index, reduce, include_self), _run(torch, dim, index, reduce, include_self),
                         rand(*x_shape, seed=3), rand(*src_shape, seed=4), differentiable=differentiable)


@needs_torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_ties_share_the_gradient_as_in_torch(reduce, include_self):
    # x's value ties with src values, and src values tie with each other
    x = np.array([5.0, 1.0, 2.0, -3.0])
    src = np.array([5.0, 3.0, 3.0, 5.0, -3.0, -3.0])
    index = np.array([0, 1, 1, 0, 3, 3])
    assert_matches_torch(_run(tinynn, 0, index, reduce, include_self), _run(torch, 0, index, reduce, include_self),
                         x, src)


@needs_torch
@pytest.mark.parametrize("include_self", [True, False])
def test_prod_with_zeros_matches_torch(include_self):
    x = np.array([0.0, 2.0, 3.0, 0.0, 1.5])
    src = np.array([4.0, 0.0, 5.0, 0.0, 0.0, 2.0, 0.5])
    index = np.array([0, 1, 1, 2, 2, 3, 4])  # places: x zero; one src zero; two src zeros; x zero + src
    assert_matches_torch(_run(tinynn, 0, index, "prod", include_self), _run(torch, 0, index, "prod", include_self),
                         x, src)


@needs_torch
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_values_and_dtypes_match_torch(reduce, include_self, dtype):
    x = np.array([[1, 2, 3], [4, 5, 6]]).astype(dtype)
    src = np.array([[2, -8, 5], [7, 7, -1]]).astype(dtype)  # integer means round toward -inf
    index = np.array([[0, 0, 1], [2, 2, 2]])
    ours, theirs = (lib.tensor(x).scatter_reduce(1, lib.tensor(index), lib.tensor(src), reduce, include_self=include_self)
                    for lib in (tinynn, torch))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_inplace_and_function_forms_match_torch():
    index, src = np.array([[0, 0, 1]]), np.array([[2.0, 3.0, 4.0]])
    ours, theirs = tinynn.ones(2, 3, dtype=tinynn.float64), torch.ones(2, 3, dtype=torch.float64)
    assert ours.scatter_reduce_(1, tinynn.tensor(index), tinynn.tensor(src), "prod") is ours
    theirs.scatter_reduce_(1, torch.tensor(index), torch.tensor(src), "prod")
    assert_close(ours, theirs)
    assert_close(tinynn.scatter_reduce(ours, 0, tinynn.tensor(index), tinynn.tensor(src), "amax", include_self=False),
                 torch.scatter_reduce(theirs, 0, torch.tensor(index), torch.tensor(src), "amax", include_self=False))


# ---------------------------------------------------------------------------- scatter(reduce=...)
@needs_torch
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")  # PyTorch deprecates the form
@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_matches_torch(reduce):
    x, src = rand(3, 4, seed=5), rand(3, 2, seed=6)
    index = np.array([[0, 0], [3, 1], [2, 2]])
    ours = tinynn.tensor(x).scatter(1, tinynn.tensor(index), tinynn.tensor(src), reduce=reduce)
    theirs = torch.tensor(x).scatter(1, torch.tensor(index), torch.tensor(src), reduce=reduce)
    assert_close(ours, theirs)
    ours = tinynn.tensor(x).scatter(1, tinynn.tensor(index), 2.5, reduce=reduce)
    theirs = torch.tensor(x).scatter(1, torch.tensor(index), 2.5, reduce=reduce)
    assert_close(ours, theirs)
    ours_inplace, theirs_inplace = tinynn.tensor(x), torch.tensor(x)
    ours_inplace.scatter_(1, tinynn.tensor(index), tinynn.tensor(src), reduce=reduce)
    theirs_inplace.scatter_(1, torch.tensor(index), torch.tensor(src), reduce=reduce)
    assert_close(ours_inplace, theirs_inplace)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_gradcheck(reduce):
    # PyTorch has no derivative for the reduce= forms; tinynn's is scatter_add's / scatter_reduce prod's
    index = tinynn.tensor([[0, 0], [3, 1], [2, 2]])
    check_gradients(lambda x, s: x.scatter(1, index, s, reduce=reduce), rand(3, 4, seed=7), rand(3, 2, seed=8),
                    second_order=reduce == "add")


def test_errors():
    x = tinynn.ones(2, 3)
    index = tinynn.tensor([[0, 1]])
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin"):
        x.scatter_reduce(1, index, tinynn.ones(1, 2), "median")
    with pytest.raises(TypeError, match="'src' must be Tensor"):
        x.scatter_reduce(1, index, 2.0, "sum")
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter_reduce(1, index, tinynn.ones(1, 2, dtype=tinynn.float64), "sum")
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 3"):
        x.scatter_reduce(1, tinynn.tensor([[-1]]), tinynn.ones(1, 1), "sum")
