"""Matrix products (tinynn/ops/linalg.py): matmul for every rank pair, mm/bmm/mv/dot/outer, einsum."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

# Every rank combination matmul accepts, batch dims that broadcast included.
MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (3,)),
                 ((3,), (2, 3, 4)), ((2, 2, 3), (2, 3, 1)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 2, 3), (3, 3)),
                 ((2, 3), (4, 3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradcheck(shapes):
    fast = np.prod(shapes[0]) * np.prod(shapes[1]) > 100  # the (2, 1, 3, 4) @ (5, 4, 2) case
    check_gradients(lambda a, b: a @ b, rand(*shapes[0], seed=1), rand(*shapes[1], seed=2), fast_mode=fast)


@needs_torch
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes):
    assert_matches_torch(lambda a, b: a @ b, lambda a, b: a @ b, rand(*shapes[0], seed=3), rand(*shapes[1], seed=4))
    assert_matches_torch(lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), rand(*shapes[0]), rand(*shapes[1]))


@pytest.mark.cpu_only
def test_matmul_result_shapes_and_values():
    a, b = tinynn.ones(2, 1, 3, 4), tinynn.ones(5, 4, 2)
    assert (a @ b).shape == (2, 5, 3, 2) and (a @ b).numpy().max() == 4.0
    assert (tinynn.ones(3) @ tinynn.ones(3)).shape == ()
    v = tinynn.tensor([1.0, 2.0])
    m = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal((v @ m).numpy(), [7, 10])
    np.testing.assert_array_equal((m @ v).numpy(), [5, 11])
    np.testing.assert_array_equal((m @ np.eye(2)).numpy(), m.numpy())  # NumPy operand on either side
    np.testing.assert_array_equal((np.eye(2) @ m).numpy(), m.numpy())


@pytest.mark.parametrize("a, b, message", [
    ((3, 4), (5, 2), r"matmul: shapes \(3, 4\) and \(5, 2\) do not align \(4 != 5\)"),
    ((2, 3), (4,), r"matmul: shapes \(2, 3\) and \(4,\) do not align \(3 != 4\)"),
    ((2, 2, 3), (2, 4, 2), r"matmul: shapes \(2, 2, 3\) and \(2, 4, 2\) do not align \(3 != 4\)"),
    ((), (3,), "at least 1 dimension"),
])
def test_matmul_shape_errors_say_what_was_expected(a, b, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.ones(*a) @ tinynn.ones(*b)


def test_matmul_batch_dims_that_do_not_broadcast_raise():
    with pytest.raises(RuntimeError, match=r"matmul: .*\(2, 3, 4\) and \(3, 4, 2\).*batch dims"):
        tinynn.ones(2, 3, 4) @ tinynn.ones(3, 4, 2)


# ---------------------------------------------------------------------------- mm / bmm / mv / dot / outer
PRODUCTS = {
    "mm": (lambda a, b: a.mm(b), (2, 3), (3, 4)),
    "bmm": (lambda a, b: a.bmm(b), (2, 2, 3), (2, 3, 2)),
    "mv": (lambda a, b: a.mv(b), (2, 3), (3,)),
    "dot": (lambda a, b: a.dot(b), (3,), (3,)),
    "outer": (lambda a, b: a.outer(b), (3,), (2,)),
    "outer function": (lambda a, b: (tinynn if isinstance(a, tinynn.Tensor) else torch).outer(a, b), (2,), (3,)),
    "ger": (lambda a, b: (tinynn if isinstance(a, tinynn.Tensor) else torch).ger(a, b), (2,), (2,)),
    "vdot": (lambda a, b: (tinynn if isinstance(a, tinynn.Tensor) else torch).vdot(a, b), (3,), (3,)),
    "inner 1-d": (lambda a, b: (tinynn if isinstance(a, tinynn.Tensor) else torch).inner(a, b), (3,), (3,)),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_product_gradcheck(name):
    fn, sa, sb = PRODUCTS[name]
    check_gradients(fn, rand(*sa, seed=5), rand(*sb, seed=6))


@needs_torch
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_product_matches_torch(name):
    fn, sa, sb = PRODUCTS[name]
    assert_matches_torch(fn, fn, rand(*sa, seed=7), rand(*sb, seed=8))


@needs_torch
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2.0)])
def test_addmm_matches_torch(beta, alpha):
    fn_ours = lambda c, a, b: tinynn.addmm(c, a, b, beta=beta, alpha=alpha)  # noqa: E731
    fn_theirs = lambda c, a, b: torch.addmm(c, a, b, beta=beta, alpha=alpha)  # noqa: E731
    assert_matches_torch(fn_ours, fn_theirs, rand(4, seed=9), rand(2, 3, seed=10), rand(3, 4, seed=11))
    check_gradients(fn_ours, rand(4, seed=9), rand(2, 3, seed=10), rand(3, 4, seed=11))


@pytest.mark.parametrize("call, message", [
    (lambda: tinynn.ones(2, 3, 1).mm(tinynn.ones(1, 2)), r"mm: expected 2-d tensors, got 3-d and 2-d"),
    (lambda: tinynn.ones(2, 3).mm(tinynn.ones(4, 2)), r"shapes \(2, 3\) and \(4, 2\) do not align \(3 != 4\)"),
    (lambda: tinynn.ones(2, 3).bmm(tinynn.ones(2, 3, 3)), r"bmm: expected 3-d tensors, got 2-d and 3-d"),
    (lambda: tinynn.ones(2, 2, 3).bmm(tinynn.ones(3, 3, 2)), r"bmm: batch sizes differ: 2 and 3"),
    (lambda: tinynn.ones(2, 3).mv(tinynn.ones(3, 1)), r"mv: expected a 2-d matrix and a 1-d vector, got 2-d and 2-d"),
    (lambda: tinynn.ones(3).dot(tinynn.ones(3, 1)), r"dot: 1D tensors expected, but got 1D and 2D tensors"),
    (lambda: tinynn.ones(3).dot(tinynn.ones(4)), r"shapes \(3,\) and \(4,\) do not align \(3 != 4\)"),
    (lambda: tinynn.outer(tinynn.ones(3, 1), tinynn.ones(2)), r"outer: 1D tensors expected, but got 2D and 1D"),
])
def test_product_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


# ---------------------------------------------------------------------------- einsum
EINSUM = {
    "matrix product": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "batch": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    "sum all": ("ij->", [(2, 3)]),
    "sum rows": ("ij->j", [(2, 3)]),
    "transpose": ("ij->ji", [(2, 3)]),
    "outer": ("i,j->ij", [(3,), (2,)]),
    "dot": ("i,i->", [(3,), (3,)]),
    "elementwise": ("ij,ij->ij", [(2, 3), (2, 3)]),
    "ellipsis": ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    "ellipsis broadcast": ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    "ellipsis sum": ("...i->...", [(2, 3)]),
    "implicit": ("ij,jk", [(2, 3), (3, 4)]),
    "implicit sorted": ("ba", [(2, 3)]),
    "implicit ellipsis": ("...ij,jk", [(2, 2, 3), (3, 2)]),
    "three operands": ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    "bilinear": ("bi,ij,bj->b", [(2, 3), (3, 3), (2, 3)]),
    "spaces": ("i j , j k -> i k", [(2, 3), (3, 2)]),
    "summed-away letter": ("ij,k->i", [(2, 3), (2,)]),
    "trace": ("ii->", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "batch diagonal": ("bii->bi", [(2, 3, 3)]),
    "ellipsis diagonal": ("i...i->...", [(3, 2, 3)]),
    "output drops ellipsis": ("...i->i", [(2, 3)]),  # PyTorch sums the '...' dims; NumPy would refuse
    "output drops ellipsis, two operands": ("...ij,...jk->ik", [(2, 2, 3), (2, 3, 2)]),
    "diagonal times matrix": ("ii,ij->j", [(3, 3), (3, 2)]),
    # broadcast '...': each operand's gradient has its own shape, not the broadcast one
    "ellipsis broadcast, size-1 batch": ("...ij,...jk->...ik", [(1, 2, 3), (2, 3, 2)]),
    "ellipsis broadcast, output drops it": ("...ij,...ij->ij", [(2, 3), (2, 2, 3)]),
    "ellipsis broadcast, output drops it, longer first": ("...ij,...ij->j", [(2, 1, 2, 3), (2, 3)]),
    "ellipsis both size-1": ("...,...->...", [(3, 1), (1, 2)]),
    "size-1 subscript broadcasts": ("ij,j->i", [(2, 3), (1,)]),
}


@pytest.mark.parametrize("name", list(EINSUM))
def test_einsum_gradcheck(name):
    equation, shapes = EINSUM[name]
    check_gradients(lambda *ops: tinynn.einsum(equation, *ops), *[rand(*s, seed=i) for i, s in enumerate(shapes)])


@needs_torch
@pytest.mark.parametrize("name", list(EINSUM))
def test_einsum_matches_torch(name):
    equation, shapes = EINSUM[name]
    assert_matches_torch(lambda *ops: tinynn.einsum(equation, *ops), lambda *ops: torch.einsum(equation, *ops),
                         *[rand(*s, seed=i + 3) for i, s in enumerate(shapes)])


def test_einsum_accepts_a_list_of_operands_and_matches_numpy():
    a, b = rand(2, 3, seed=1), rand(3, 4, seed=2)
    out = tinynn.einsum("ij,jk->ik", [tinynn.tensor(a), tinynn.tensor(b)])
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="names 2 operands but 1 were given"):
        tinynn.einsum("ij,jk->ik", tinynn.ones(2, 2))
    with pytest.raises(RuntimeError, match="subscripts 'ijk' do not match an operand with 2 dims"):
        tinynn.einsum("ijk->i", tinynn.ones(2, 2))
    with pytest.raises(RuntimeError, match="invalid subscript '1'"):
        tinynn.einsum("i1->i", tinynn.ones(2, 2))


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript j has size 4 for operand 1 which does not broadcast with "
                                    r"previously seen size 3 \(operand 0\)"),
    ("ii->i", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"),
    ("...i,...i->...", [(2, 3), (4, 3)], r"dims covered by '...' in operand 1, \(4,\), do not broadcast with \(2,\)"),
    ("ij->k", [(2, 3)], "output subscript k does not appear in the equation for any input operand"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once in the output"),
])
def test_einsum_size_errors_name_the_subscript_and_sizes(equation, shapes, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.einsum(equation, *[tinynn.ones(*s) for s in shapes])
