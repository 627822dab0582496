"""Property tests (Hypothesis): ops against NumPy over random shapes, dims, permutations and slices."""
import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinynn
from tests.helpers import leaf

SMALL = dict(min_dims=0, max_dims=4, min_side=1, max_side=4)


def _array(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _unbroadcast(grad, shape):
    """NumPy reference for summing a broadcast gradient back to ``shape``."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    return grad.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


BINARY = {
    "add": (lambda a, b: a + b, np.add), "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply), "maximum": (tinynn.maximum, np.maximum),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
}


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, **SMALL), st.sampled_from(list(BINARY)), st.integers(0, 99))
def test_binary_ops_broadcast_like_numpy(shapes, op, seed):
    (shape_a, shape_b), result_shape = shapes.input_shapes, shapes.result_shape
    a, b = _array(shape_a, seed), _array(shape_b, seed + 1) + 3.0  # b away from 0 for div
    out = BINARY[op][0](tinynn.tensor(a), tinynn.tensor(b))
    assert out.shape == result_shape
    np.testing.assert_allclose(out.numpy(), BINARY[op][1](a, b), rtol=1e-12)


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, **SMALL), st.integers(0, 99))
def test_gradient_of_a_broadcast_product_sums_the_other_operand(shapes, seed):
    (shape_a, shape_b), result_shape = shapes.input_shapes, shapes.result_shape
    a, b = leaf(_array(shape_a, seed)), leaf(_array(shape_b, seed + 1))
    (a * b).sum().backward()
    # d sum(a * b) / da = b broadcast to the result's shape, summed back to a's shape (and vice versa)
    b_full = np.broadcast_to(b.detach().numpy(), result_shape)
    a_full = np.broadcast_to(a.detach().numpy(), result_shape)
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_allclose(a.grad.numpy(), _unbroadcast(b_full, shape_a).reshape(shape_a), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), _unbroadcast(a_full, shape_b).reshape(shape_b), rtol=1e-12)


@st.composite
def shape_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    negative = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
    dims = tuple(a - len(shape) if neg else a for a, neg in zip(axes, negative))
    return shape, dims, tuple(sorted(axes))


REDUCTIONS = {"sum": np.sum, "mean": np.mean, "amax": np.amax, "amin": np.amin}


@given(shape_and_dims(), st.sampled_from(list(REDUCTIONS)), st.booleans(), st.integers(0, 99))
def test_reductions_over_random_dims_match_numpy(case, name, keepdim, seed):
    shape, dims, axes = case
    x = _array(shape, seed)
    out = getattr(tinynn.tensor(x), name)(dim=dims, keepdim=keepdim)
    expected = REDUCTIONS[name](x, axis=axes or None, keepdims=keepdim)  # () means every dim
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@given(shape_and_dims(), st.booleans(), st.integers(0, 99))
def test_var_and_logsumexp_over_random_dims_match_numpy(case, keepdim, seed):
    shape, dims, axes = case
    x = _array(shape, seed)
    if not axes:
        axes, dims = tuple(range(len(shape))), tuple(range(len(shape)))
    count = int(np.prod([shape[a] for a in axes]))
    var = tinynn.tensor(x).var(dim=dims, keepdim=keepdim, correction=0)
    np.testing.assert_allclose(var.numpy(), x.var(axis=axes, keepdims=keepdim), rtol=1e-10, atol=1e-12)
    if count > 1:
        unbiased = tinynn.tensor(x).var(dim=dims, keepdim=keepdim)
        np.testing.assert_allclose(unbiased.numpy(), x.var(axis=axes, keepdims=keepdim, ddof=1), rtol=1e-10)
    lse = tinynn.tensor(x).logsumexp(dims, keepdim)
    np.testing.assert_allclose(lse.numpy(), np.log(np.exp(x).sum(axis=axes, keepdims=keepdim)), rtol=1e-12)


@given(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4), st.data())
def test_reshape_round_trip(shape, data):
    x = _array(shape, 0)
    size = x.size
    factors = [d for d in range(1, size + 1) if size % d == 0]
    first = data.draw(st.sampled_from(factors))
    new_shape = (first, -1) if data.draw(st.booleans()) else (-1, first)
    t = leaf(x)
    y = t.reshape(*new_shape)
    assert y.numel() == size and size // first in y.shape
    back = y.reshape(shape)
    np.testing.assert_array_equal(back.detach().numpy(), x)
    back.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.ones(shape))


@given(hnp.array_shapes(min_dims=1, max_dims=5, min_side=1, max_side=3), st.data())
def test_permute_round_trip_and_numpy_transpose(shape, data):
    order = data.draw(st.permutations(range(len(shape))))
    x = _array(shape, 1)
    t = leaf(x)
    y = t.permute(*order)
    np.testing.assert_array_equal(y.detach().numpy(), np.transpose(x, order))
    back = y.permute(*np.argsort(order).tolist())
    np.testing.assert_array_equal(back.detach().numpy(), x)
    weights = _array(y.shape, 2)
    (y * tinynn.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.transpose(weights, np.argsort(order)))


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5).flatmap(
    lambda shape: st.tuples(st.just(shape), hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))))
def test_basic_indexing_matches_numpy_and_its_gradient_counts_hits(case):
    shape, index = case
    x = _array(shape, 3)
    t = leaf(x)
    out = t[index]
    np.testing.assert_array_equal(out.detach().numpy(), x[index])
    out.sum().backward()
    hits = np.zeros(shape)
    hits[index] += 1  # basic indices pick each element at most once
    np.testing.assert_array_equal(t.grad.numpy(), hits)


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), st.data())
def test_integer_array_indexing_matches_numpy_and_accumulates(shape, data):
    x = _array(shape, 4)
    index = np.array(data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6)))
    t = leaf(x)
    out = t[tinynn.tensor(index)]
    np.testing.assert_array_equal(out.detach().numpy(), x[index])
    out.sum().backward()
    hits = np.zeros(shape)
    np.add.at(hits, index, 1.0)  # a repeated index collects one gradient per pick
    np.testing.assert_array_equal(t.grad.numpy(), hits)


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.integers(0, 99))
def test_boolean_mask_indexing_matches_numpy(shape, seed):
    x = _array(shape, seed)
    mask = np.random.default_rng(seed + 1).random(shape) > 0.5
    t = leaf(x)
    out = t[tinynn.tensor(mask)]
    np.testing.assert_array_equal(out.detach().numpy(), x[mask])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), mask.astype(float))


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3),
       st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.booleans(), st.booleans())
def test_matmul_of_any_ranks_matches_numpy(batch, k, m, n, a_is_vector, b_is_vector):
    batch_a, batch_b = batch.input_shapes
    a_shape = (k,) if a_is_vector else batch_a + (m, k)
    b_shape = (k,) if b_is_vector else batch_b + (k, n)
    a, b = leaf(_array(a_shape, 5)), leaf(_array(b_shape, 6))
    out = a @ b
    expected = a.detach().numpy() @ b.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    out.sum().backward()
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
