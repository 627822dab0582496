"""Indexing and selection (tinynn/ops/indexing.py): x[key], x[key] = v, gather/scatter, where, one_hot."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# Keys for an input of shape (4, 3, 5). Arrays in a key become each library's own tensors (or stay
# NumPy arrays for the NumPy reference), so one key serves tinynn, torch and NumPy.
KEYS = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, 3),
    "slice step": (slice(None), slice(None, None, 2)),
    "negative step": (slice(None, None, -1), slice(2, 0, -1)),
    "negative step with stop": (slice(3, None, -2),),
    "None": (None, 1, slice(None), None),
    "Ellipsis": (Ellipsis, 2),
    "Ellipsis middle": (1, Ellipsis, slice(1, 4)),
    "int and slice": (2, slice(0, 2), -1),
    "int array": np.array([0, 2]),
    "int array repeated": np.array([1, 1, 3, 1]),
    "int array 2-d": np.array([[0, 3], [3, 0]]),
    "int arrays paired": (np.array([0, 1, 1]), slice(None), np.array([4, 0, 4])),
    "int array and slice": (slice(1, None), np.array([2, 0, 2])),
    "int array negative": np.array([-1, 0, -1]),
    "bool mask": "mask",
    "bool mask rows": "row mask",
    "list": [3, 0, 0],
    "scalar tensor": "scalar tensor",
    "bool mask and slice": (np.array([True, False, True, True]), slice(1, 3)),
    "slice, int array, None": (slice(None, None, 2), np.array([2, 0]), None),
}


NAMED = {"mask": np.random.default_rng(7).random((4, 3, 5)) > 0.5,
         "row mask": np.array([True, False, True, True]), "scalar tensor": np.array(2)}


def _key(name, lib):
    """KEYS[name] for ``lib`` (tinynn, torch or np): its arrays made that library's tensors."""
    key = KEYS[name]
    key = NAMED[key] if isinstance(key, str) else key
    convert = np.asarray if lib is np else lib.tensor

    def part(p):
        return convert(p) if isinstance(p, np.ndarray) else p

    return tuple(part(p) for p in key) if isinstance(key, tuple) else part(key)


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_matches_numpy(name):
    x = rand(4, 3, 5, seed=1)
    np.testing.assert_array_equal(tinynn.tensor(x)[_key(name, tinynn)].numpy(), x[_key(name, np)])


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_gradcheck(name):
    check_gradients(lambda t: t[_key(name, tinynn)], rand(4, 3, 5, seed=2), fast_mode=True)


@needs_torch
@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_matches_torch(name):
    if name in ("negative step", "negative step with stop"):
        pytest.skip("PyTorch has no negative slice steps; tinynn follows NumPy (checked above)")
    assert_matches_torch(lambda t: t[_key(name, tinynn)], lambda t: t[_key(name, torch)], rand(4, 3, 5, seed=3))


def test_repeated_indices_accumulate_gradient():
    x = leaf([1.0, 2.0, 3.0])
    x[tinynn.tensor([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_negative_step_gradient_lands_reversed():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    (x[::-2] * tinynn.tensor([10.0, 20.0], dtype=tinynn.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 20.0, 0.0, 10.0])


@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
def test_basic_indexing_gives_views_and_advanced_copies():
    x = tinynn.arange(12.0).reshape(3, 4)
    assert np.shares_memory(x[1:, ::2].numpy(), x.numpy())
    assert np.shares_memory(x[..., None, 1].numpy(), x.numpy())
    assert not np.shares_memory(x[tinynn.tensor([0, 1])].numpy(), x.numpy())
    assert not np.shares_memory(x[x > 3].numpy(), x.numpy())
    assert x[1, 2].shape == () and x[1, 2].item() == 6.0


def test_bad_indices_raise_with_the_shape():
    x = tinynn.ones(2, 3)
    with pytest.raises(IndexError, match=r"invalid for a tensor of shape \(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match=r"invalid for a tensor of shape \(2, 3\)"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[tinynn.tensor([0.0])]


# ---------------------------------------------------------------------------- x[key] = v
SET_KEYS = {
    "int": (1, (3,)),
    "slice": ((slice(None), slice(1, 3)), (1, 2)),
    "negative step": ((slice(None, None, -2),), (3,)),
    "int array": (np.array([2, 0]), (2, 3)),
    "bool mask rows": (np.array([True, False, True, False]), (1, 3)),
    "Ellipsis": ((Ellipsis, 0), ()),
}


def _set_key(key, lib):
    parts = key if isinstance(key, tuple) else (key,)
    return tuple(lib.tensor(p) if isinstance(p, np.ndarray) else p for p in parts)


@needs_torch
@pytest.mark.parametrize("name", [n for n in SET_KEYS if n != "negative step"])
def test_setitem_in_graph_matches_torch(name):
    key, value_shape = SET_KEYS[name]

    def run(lib):
        def fn(x, v):
            y = x * 2
            y[_set_key(key, lib)] = v
            return y * y

        return fn

    assert_matches_torch(run(tinynn), run(torch), rand(4, 3, seed=4), rand(*value_shape, seed=5))


@pytest.mark.parametrize("name", list(SET_KEYS))
def test_setitem_in_graph_gradcheck(name):
    key, value_shape = SET_KEYS[name]

    def fn(x, v):
        y = x * 2
        y[_set_key(key, tinynn)] = v
        return y * y

    check_gradients(fn, rand(4, 3, seed=4), rand(*value_shape, seed=5))


def test_setitem_in_graph_gradient_values():
    x, v = leaf([1.0, 2.0, 3.0]), leaf(10.0)
    y = x * 2
    y[1] = v
    (y * tinynn.tensor([1.0, 2.0, 3.0], dtype=tinynn.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 6.0])  # the overwritten element gets nothing
    assert v.grad.item() == 2.0


@needs_torch
def test_setitem_of_a_graph_value_into_a_plain_tensor_matches_torch():
    def run(lib):
        def fn(v):
            y = lib.zeros(3, dtype=lib.float64)  # not in the graph until a value that is arrives
            y[1] = v
            y[lib.tensor([0, 2])] = v * 3
            return y * y
        return fn

    assert_matches_torch(run(tinynn), run(torch), np.array(2.0))


def test_setitem_outside_the_graph_writes_in_place():
    x = tinynn.zeros(3, 4)
    view = x[1]
    x[1, 1:3] = 5.0
    x[tinynn.tensor([0, 2]), 0] = tinynn.tensor([1.0, 2.0])
    x[x > 4] = -1.0
    np.testing.assert_array_equal(view.numpy(), [0, -1, -1, 0])  # the view sees the writes
    np.testing.assert_array_equal(x.numpy()[:, 0], [1, 0, 2])
    with pytest.raises(RuntimeError, match="__setitem__"):
        x[0] = tinynn.ones(5)


def test_setitem_on_leaf_requiring_grad_raises():
    x = tinynn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[0] = 2.0


@pytest.mark.cpu_only
def test_setitem_with_repeated_index_and_value_keeps_the_last():
    x = tinynn.zeros(3)
    x[tinynn.tensor([0, 0])] = tinynn.tensor([1.0, 2.0])
    assert x[0].item() == 2.0


# ---------------------------------------------------------------------------- gather / scatter
GATHER_INDEX = np.array([[0, 2, 2, 1], [1, 0, 0, 0], [2, 2, 1, 0]])  # repeats: gradients accumulate


@needs_torch
@pytest.mark.parametrize("dim, index", [(1, GATHER_INDEX[:, :3]), (0, GATHER_INDEX[:2, :3]),
                                        (-1, GATHER_INDEX[:2, :2])], ids=["dim1", "dim0", "dim-1 smaller"])
def test_gather_matches_torch(dim, index):
    assert_matches_torch(lambda t: t.gather(dim, tinynn.tensor(index)), lambda t: t.gather(dim, torch.tensor(index)),
                         rand(3, 3, seed=6))


@needs_torch
@pytest.mark.parametrize("dim, index", [(1, GATHER_INDEX[:, :3]), (1, GATHER_INDEX[:1]), (0, GATHER_INDEX[:, :1]),
                                        (None, np.array([8, 0, 8]))], ids=["same", "rows", "cols", "flat"])
def test_take_along_dim_broadcasts_like_torch(dim, index):
    assert_matches_torch(lambda t: tinynn.take_along_dim(t, tinynn.tensor(index), dim),
                         lambda t: torch.take_along_dim(t, torch.tensor(index), dim), rand(3, 4, seed=6)
                         if dim is not None else rand(3, 3, seed=6))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        tinynn.take_along_dim(tinynn.ones(3, 4), tinynn.tensor([0]), 1)


def test_gather_gradcheck():
    check_gradients(lambda t: t.gather(1, tinynn.tensor(GATHER_INDEX[:, :3])), rand(3, 3, seed=7))
    check_gradients(lambda t: tinynn.take_along_dim(t, tinynn.tensor(GATHER_INDEX[:1]), 1), rand(3, 4, seed=7))


SCATTER = [(1, np.array([[0, 2], [1, 1], [2, 0]]), (3, 2)), (0, np.array([[2, 0, 1], [0, 0, 2]]), (2, 3)),
           (1, np.array([[1], [0], [2]]), (3, 2))]  # the last: src larger than index


@needs_torch
@pytest.mark.parametrize("dim, index, src_shape", SCATTER, ids=["dim1 repeats", "dim0 repeats", "src larger"])
def test_scatter_add_matches_torch(dim, index, src_shape):
    x, src = rand(3, 3, seed=8), rand(*src_shape, seed=9)
    # PyTorch's own backward fails when src is larger than index (its gradient has index's shape);
    # tinynn pads it back to src's shape, checked by the gradcheck below.
    differentiable = [True, src_shape == index.shape]
    assert_matches_torch(lambda t, s: t.scatter_add(dim, tinynn.tensor(index), s),
                         lambda t, s: t.scatter_add(dim, torch.tensor(index), s), x, src,
                         differentiable=differentiable)
    # scatter(reduce="add") is scatter_add (PyTorch deprecates that form and does not differentiate it)
    ours = tinynn.tensor(x).scatter(dim, tinynn.tensor(index), tinynn.tensor(src), reduce="add")
    assert_close(ours, torch.tensor(x).scatter_add(dim, torch.tensor(index), torch.tensor(src)))


@needs_torch
def test_scatter_without_repeats_matches_torch():
    index = np.array([[2, 0], [1, 2], [0, 1]])  # no index repeats in a row: the result is defined
    assert_matches_torch(lambda t, s: t.scatter(1, tinynn.tensor(index), s),
                         lambda t, s: t.scatter(1, torch.tensor(index), s), rand(3, 3, seed=10), rand(3, 2, seed=11))
    assert_matches_torch(lambda t: t.scatter(1, tinynn.tensor(index), 0.5),
                         lambda t: t.scatter(1, torch.tensor(index), 0.5), rand(3, 3, seed=10))


@pytest.mark.parametrize("dim, index, src_shape", SCATTER, ids=["dim1 repeats", "dim0 repeats", "src larger"])
def test_scatter_add_gradcheck(dim, index, src_shape):
    check_gradients(lambda t, s: t.scatter_add(dim, tinynn.tensor(index), s), rand(3, 3, seed=12),
                    rand(*src_shape, seed=13))


def test_scatter_gradcheck():
    index = tinynn.tensor([[2, 0], [1, 2], [0, 1]])
    check_gradients(lambda t, s: t.scatter(1, index, s), rand(3, 3, seed=14), rand(3, 2, seed=15))


def test_scatter_add_values():
    out = tinynn.zeros(2, 3).scatter_add(1, tinynn.tensor([[0, 0, 2], [1, 1, 1]]), tinynn.ones(2, 3))
    np.testing.assert_array_equal(out.numpy(), [[2, 0, 1], [0, 3, 0]])


@needs_torch
@pytest.mark.parametrize("method", ["masked_fill_", "scatter_", "scatter_add_"])
def test_inplace_selection_in_graph_matches_torch(method):
    index = np.array([[2, 0], [1, 2], [0, 1]])
    mask = np.array([[True, False, False], [False, True, True], [False, False, False]])

    def run(lib):
        def fn(x, src):
            out = x * 2
            if method == "masked_fill_":
                out.masked_fill_(lib.tensor(mask), 0.5)
            else:
                getattr(out, method)(1, lib.tensor(index), src)
            return out * x
        return fn

    assert_matches_torch(run(tinynn), run(torch), rand(3, 3, seed=30), rand(3, 2, seed=31))


def test_gather_scatter_errors():
    x = tinynn.ones(2, 3)
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(1, tinynn.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match=r"same number of dimensions as the input tensor \(1 vs 2\)"):
        x.gather(1, tinynn.tensor([0]))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        x.gather(1, tinynn.tensor([[3]]))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(1, tinynn.tensor([[0]]), tinynn.ones(1, 1), reduce="mean")


# ---------------------------------------------------------------------------- index_select / masks / where
@needs_torch
@pytest.mark.parametrize("dim, index", [(0, [2, 0, 2]), (1, [1]), (-1, [0, 0])], ids=str)
def test_index_select_matches_torch(dim, index):
    assert_matches_torch(lambda t: t.index_select(dim, tinynn.tensor(index)),
                         lambda t: t.index_select(dim, torch.tensor(index)), rand(3, 2, seed=16))


def test_index_select_gradcheck_and_error():
    check_gradients(lambda t: t.index_select(0, tinynn.tensor([2, 0, 2])), rand(3, 2, seed=16))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        tinynn.ones(3).index_select(0, tinynn.tensor([[0]]))


MASK = np.array([[True, False, True], [False, False, True]])


@needs_torch
@pytest.mark.parametrize("mask", [MASK, MASK[:1], MASK[:, 2:]], ids=["full", "rows broadcast", "cols broadcast"])
def test_masked_fill_and_masked_select_match_torch(mask):
    assert_matches_torch(lambda t: t.masked_fill(tinynn.tensor(mask), -1.5),
                         lambda t: t.masked_fill(torch.tensor(mask), -1.5), rand(2, 3, seed=17))
    assert_matches_torch(lambda t, v: t.masked_fill(tinynn.tensor(mask), v),
                         lambda t, v: t.masked_fill(torch.tensor(mask), v), rand(2, 3, seed=17), np.array(2.5))
    assert_matches_torch(lambda t: t.masked_select(tinynn.tensor(mask)),
                         lambda t: t.masked_select(torch.tensor(mask)), rand(2, 3, seed=18))


def test_masked_fill_gradcheck_and_errors():
    check_gradients(lambda t, v: t.masked_fill(tinynn.tensor(MASK), v), rand(2, 3, seed=19), np.array(0.5))
    check_gradients(lambda t: t.masked_select(tinynn.tensor(MASK[:1])), rand(2, 3, seed=19))
    x = tinynn.ones(2, 3)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_fill(tinynn.tensor([1, 0, 1]), 0.0)
    with pytest.raises(RuntimeError, match=r"mask of shape \(4,\) does not broadcast to \(2, 3\)"):
        x.masked_fill(tinynn.tensor([True] * 4), 0.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(tinynn.tensor(MASK), tinynn.ones(2))


WHERE = {
    "tensors": lambda c, a, b: (c, a, b),
    "scalar other": lambda c, a, b: (c, a, 0.5),
    "scalar input": lambda c, a, b: (c, -1.0, b),
}


@needs_torch
@pytest.mark.parametrize("form", list(WHERE))
def test_where_matches_torch(form):
    cond = np.array([[True, False, True]])  # broadcast against (2, 3) and (2, 1)

    def run(lib):
        return lambda a, b: lib.where(*WHERE[form](lib.tensor(cond), a, b))

    assert_matches_torch(run(tinynn), run(torch), rand(2, 3, seed=20), rand(2, 1, seed=21))
    assert_matches_torch(lambda a, b: a.where(tinynn.tensor(cond), b), lambda a, b: a.where(torch.tensor(cond), b),
                         rand(2, 3, seed=20), rand(2, 1, seed=21))


def test_where_gradcheck_and_forms():
    cond = tinynn.tensor([[True, False, True]])
    check_gradients(lambda a, b: tinynn.where(cond, a, b), rand(2, 3, seed=22), rand(2, 1, seed=23))
    out = tinynn.where(tinynn.tensor([True, False]), 1.0, 2.0)
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0])
    (rows,) = tinynn.where(tinynn.tensor([0, 3, 0, 1]))  # one argument: nonzero(as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), [1, 3])
    assert tinynn.where(tinynn.tensor([True]), tinynn.ones(1, dtype=tinynn.float64), 2.0).dtype == tinynn.float64


def test_where_shape_mismatch_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"must match the size of tensor b \(4\) at non-singleton dimension 1"):
        tinynn.where(tinynn.ones(2, 3) > 0, tinynn.ones(4), 0.0)


# ---------------------------------------------------------------------------- nonzero / one_hot / multinomial
@needs_torch
def test_nonzero_matches_torch():
    x = np.array([[0, 1, 0], [2, 0, 3]])
    assert_close(tinynn.tensor(x).nonzero(), torch.tensor(x).nonzero())
    for ours, theirs in zip(tinynn.tensor(x).nonzero(as_tuple=True), torch.tensor(x).nonzero(as_tuple=True)):
        assert_close(ours, theirs)
    assert tinynn.zeros(2, 3).nonzero().shape == (0, 2)
    assert tinynn.tensor(x).nonzero().dtype == tinynn.int64


@needs_torch
@pytest.mark.parametrize("num_classes", [-1, 5])
def test_one_hot_matches_torch(num_classes):
    labels = np.array([[0, 3], [1, 1]])
    ours = tinynn.one_hot(tinynn.tensor(labels), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), num_classes)
    assert ours.dtype == tinynn.int64
    assert_close(ours, theirs)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match=r"class values must be in \[0, 3\), got min 0, max 3"):
        tinynn.one_hot(tinynn.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="index tensors"):
        tinynn.one_hot(tinynn.tensor([0.0]))


def test_multinomial_is_reproducible_under_manual_seed():
    probs = tinynn.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    tinynn.manual_seed(123)
    first = probs.multinomial(5, replacement=True)
    tinynn.manual_seed(123)
    second = probs.multinomial(5, replacement=True)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    assert first.shape == (2, 5) and first.dtype == tinynn.int64
    assert (first.numpy()[1] != 2).all()  # a zero-probability class is never drawn
    gen = tinynn.Generator().manual_seed(5)
    a = tinynn.multinomial(probs[0], 8, replacement=True, generator=gen)
    gen.manual_seed(5)
    np.testing.assert_array_equal(a.numpy(), tinynn.multinomial(probs[0], 8, True, generator=gen).numpy())


def test_multinomial_frequencies_follow_the_weights():
    tinynn.manual_seed(0)
    weights = tinynn.tensor([1.0, 2.0, 7.0])  # unnormalised weights are fine
    draws = weights.multinomial(20_000, replacement=True).numpy()
    frequencies = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(frequencies, [0.1, 0.2, 0.7], atol=0.015)


def test_multinomial_without_replacement_draws_distinct_categories():
    tinynn.manual_seed(1)
    draws = tinynn.ones(4, 6).multinomial(6).numpy()
    for row in draws:
        assert sorted(row.tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        tinynn.tensor([0.5, 0.5, 0.0]).multinomial(3)
    with pytest.raises(RuntimeError, match="element < 0"):
        tinynn.tensor([0.5, -0.1]).multinomial(1)


# ---------------------------------------------------------------------------- PyTorch's errors, not NumPy's wrapping
def _bad_index_calls(lib):
    x = lib.ones(2, 3)
    half = lib.zeros(3, dtype=lib.float16)
    return {
        "gather negative": lambda: x.gather(1, lib.tensor([[-1], [0]])),
        "gather too large": lambda: x.gather(1, lib.tensor([[3], [0]])),
        "scatter negative": lambda: x.scatter(1, lib.tensor([[-1], [0]]), 5.0),
        "scatter_add negative": lambda: x.scatter_add(1, lib.tensor([[-1], [0]]), lib.ones(2, 1)),
        "scatter_ negative": lambda: x.clone().scatter_(0, lib.tensor([[-2, 0, 0]]), lib.ones(1, 3)),
        "index_select negative": lambda: x.index_select(1, lib.tensor([-1])),
        "index_select too large": lambda: x.index_select(0, lib.tensor([2])),  # IndexError in PyTorch
        "index_select dim 1": lambda: x.index_select(1, lib.tensor([3])),  # RuntimeError in PyTorch
        "index_select float index": lambda: x.index_select(1, lib.tensor([1.0])),
        "float16 scattered with float32": lambda: half.scatter(0, lib.tensor([0]), lib.ones(1)),
        "float16 scatter_add float32": lambda: half.scatter_add(0, lib.tensor([0]), lib.ones(1)),
        "float32 scattered with float64": lambda: x.scatter(1, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64)),
    }


@needs_torch
@pytest.mark.parametrize("case", list(_bad_index_calls(tinynn)))
def test_bad_indices_and_sources_raise_like_torch(case):
    with pytest.raises(Exception) as theirs:
        _bad_index_calls(torch)[case]()
    with pytest.raises(Exception) as ours:
        _bad_index_calls(tinynn)[case]()
    assert isinstance(ours.value, type(theirs.value)), f"tinynn: {ours.type.__name__}, PyTorch: {theirs.type.__name__}"
    assert "out of bounds" in str(ours.value) or "dtype" in str(ours.value)


@needs_torch
@pytest.mark.parametrize("value", [3.0, 0.0, True])
def test_nonzero_of_a_zero_dim_tensor_matches_torch(value):
    ours, theirs = tinynn.tensor(value), torch.tensor(value)
    assert_close(ours.nonzero(), theirs.nonzero())
    for o, t in zip(ours.nonzero(as_tuple=True), theirs.nonzero(as_tuple=True)):
        assert_close(o, t)
    assert len(ours.nonzero(as_tuple=True)) == len(theirs.nonzero(as_tuple=True))


@needs_torch
def test_zero_dim_index_select_and_gather_match_torch():
    x = np.array(5.0)
    assert_matches_torch(lambda t: t.index_select(0, tinynn.tensor([0])),
                         lambda t: t.index_select(0, torch.tensor([0])), x)
    assert_matches_torch(lambda t: t.gather(0, tinynn.tensor(0)), lambda t: t.gather(0, torch.tensor(0)), x)


@needs_torch
def test_masked_select_broadcasts_both_ways_like_torch():
    mask = np.array([[True, False, True], [False, True, True]])
    assert_matches_torch(lambda t: t.masked_select(tinynn.tensor(mask)), lambda t: t.masked_select(torch.tensor(mask)),
                         rand(3, seed=40))
    with pytest.raises(RuntimeError, match="expected BoolTensor"):
        tinynn.ones(3).masked_select(tinynn.tensor([1, 0, 1]))
