"""PyTorch's indexing rules (tinynn/ops/index_key.py): x[key] and x[key] = v laid out as PyTorch lays them out.

Keys mix ints, slices, None, ``...``, bools, lists, index tensors and masks; every key is run on
tinynn and on PyTorch: same values, shapes and gradients, or the same kind of error.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinynn
from tests.helpers import assert_close, needs_torch, rand, torch
from tinynn.ops.index_key import to_index_key

SHAPE = (2, 3, 4, 5)

# Vocabulary of key parts; "T:..." parts become each library's index tensors, "mask" a 1-d mask
# of the size of the dim it lands on. Index values are at most 1: valid on every dim.
PARTS = {
    "0": 0, "1": 1, "-1": -1, ":": slice(None), "1:": slice(1, None), ":2": slice(0, 2), "::2": slice(None, None, 2),
    "None": None, "...": Ellipsis, "True": True, "False": False, "[1, 0]": [1, 0],
    "T:[0, 1]": np.array([0, 1]), "T:[[1], [0]]": np.array([[1], [0]]), "T:[1, 1, 0]": np.array([1, 1, 0]),
    "T:1 (0-d)": np.array(1), "T:True (0-d)": np.array(True), "mask": "mask",
}

NAMED_KEYS = [
    ("1", ":", "T:[0, 1]", ":2"),          # the issue's x[1, :, idx, 0:2]: PyTorch (3, 2, 2), NumPy (2, 3, 2)
    ("1", ":", "T:[0, 1]"),
    ("T:[0, 1]", ":", "1"),
    (":", "T:[0, 1]", "1", "T:[0, 1]"),
    ("1", "...", "T:[0, 1]"),
    ("1", "None", ":", "T:[0, 1]"),
    (":", "1", "None", "T:[0, 1]"),
    ("T:[0, 1]", "1", "None", "T:[0, 1]"),
    ("1", ":", "T:[0, 1]", "True"),
    (":", "True", "1", "T:[0, 1]"),
    ("1", ":", "True", "T:[0, 1]"),
    ("T:[0, 1]", "1", "True"),
    ("1", "True"),
    ("True", "1", ":", "[1, 0]"),
    ("T:1 (0-d)", ":", "T:1 (0-d)", "T:[0, 1]"),
    ("1", ":", "T:[[1], [0]]", "T:[0, 1]"),
    ("1", "mask", ":", "1"),
    ("mask", "1", ":", "T:[0, 1]"),
    (":", "1", "mask", "T:[1, 1, 0]"),
    ("...", "1", "T:[0, 1]"),
    ("-1", "::2", "[1, 0]", "...", "None"),
    ("1", ":", "T:[0, 1]", "False"),
    ("T:True (0-d)", "1", ":", "T:[0, 1]"),
    (":", "0", "0", "...", "[1, 0]"),       # an ellipsis of no dims separates in NumPy, never in PyTorch
]


def _landing_dims(names):
    """The dim each part lands on, by PyTorch's reading (ints and masks consume one dim here)."""
    consumes = {"None": 0, "True": 0, "False": 0, "T:True (0-d)": 0, "...": 0}
    used = sum(consumes.get(n, 1) for n in names)
    dims, dim = [], 0
    for n in names:
        dims.append(dim)
        dim += (len(SHAPE) - used) if n == "..." else consumes.get(n, 1)
    return dims, used


def _key(names, lib):
    dims, _ = _landing_dims(names)
    parts = []
    for name, dim in zip(names, dims):
        part = PARTS[name]
        if isinstance(part, str):  # a mask over the dim it lands on
            part = lib.tensor(np.arange(SHAPE[dim]) % 2 == 0)
        elif isinstance(part, np.ndarray):
            part = lib.tensor(part)
        parts.append(part)
    return tuple(parts)


def _valid(names):
    _, used = _landing_dims(names)
    return names.count("...") <= 1 and used <= len(SHAPE)


def _run(lib, names, x_array, w_seed=5):
    """x[key] for ``lib``: (result, d(sum(result * w))/dx), or the exception type raised."""
    x = lib.tensor(x_array, requires_grad=True)
    try:
        y = x[_key(names, lib)]
    except (IndexError, RuntimeError, ValueError, TypeError) as err:
        return type(err)
    w = lib.tensor(rand(*y.shape, seed=w_seed))
    (y * w).sum().backward()
    return y.detach(), x.grad


def _check_getitem(names):
    x = rand(*SHAPE, seed=1)
    ours, theirs = _run(tinynn, names, x), _run(torch, names, x)
    if isinstance(theirs, type):  # PyTorch refused the key: tinynn must refuse it the same way
        assert isinstance(ours, type) and issubclass(ours, (IndexError, RuntimeError)), (names, ours, theirs)
        return
    assert not isinstance(ours, type), f"{names}: tinynn raised {ours}, PyTorch gave {tuple(theirs[0].shape)}"
    assert_close(ours[0], theirs[0], what=f"{names} values")
    assert_close(ours[1], theirs[1], what=f"{names} gradient")


def _check_setitem(names):
    """y[key] = v inside the graph: the values and both gradients; and outside the graph."""
    if any(n in names for n in ("T:[1, 1, 0]",)):  # a repeated target: which write wins is undefined
        return
    x = rand(*SHAPE, seed=2)
    try:
        target_shape = torch.tensor(x)[_key(names, torch)].shape
    except (IndexError, RuntimeError):
        return
    v = rand(*target_shape, seed=3)
    results = []
    for lib in (tinynn, torch):
        xt, vt = lib.tensor(x, requires_grad=True), lib.tensor(v, requires_grad=True)
        y = xt * 2
        y[_key(names, lib)] = vt
        (y * lib.tensor(rand(*SHAPE, seed=4))).sum().backward()
        results.append((y.detach(), xt.grad, vt.grad))
    for what, ours, theirs in zip(("values", "x gradient", "v gradient"), *results):
        assert_close(ours, theirs, what=f"{names} {what}")
    # outside the graph, with the key converted as tensor.__setitem__ should convert it
    plain = tinynn.tensor(x * 2)
    plain._data[to_index_key(_key(names, tinynn), plain._data)] = v
    assert_close(plain, results[1][0], what=f"{names} written outside the graph")


@needs_torch
@pytest.mark.parametrize("names", NAMED_KEYS, ids=lambda n: "[" + ", ".join(n) + "]")
def test_named_keys_getitem_matches_torch(names):
    _check_getitem(names)


@needs_torch
@pytest.mark.parametrize("names", NAMED_KEYS, ids=lambda n: "[" + ", ".join(n) + "]")
def test_named_keys_setitem_matches_torch(names):
    _check_setitem(names)


@needs_torch
@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(list(PARTS)), min_size=1, max_size=6).filter(_valid))
def test_random_keys_match_torch(names):
    names = tuple(names)
    _check_getitem(names)
    _check_setitem(names)


def test_the_issue_example_shape():
    x = tinynn.zeros(*SHAPE)
    idx = tinynn.tensor([0, 2])
    assert x[1, :, idx, 0:2].shape == (3, 2, 2)  # NumPy's rule would give (2, 3, 2)
    assert x[tinynn.tensor([0, 1]), :, 1].shape == (2, 3, 5)  # here both rules agree
    assert x[1, :, idx].shape == (3, 2, 5)


def test_scalar_setitem_outside_the_graph_with_mixed_keys():
    x = tinynn.zeros(2, 3, 4)
    x[1, :, tinynn.tensor([0, 2])] = 5.0
    expected = np.zeros((2, 3, 4))
    expected[1][:, [0, 2]] = 5.0
    np.testing.assert_array_equal(x.numpy(), expected)


def test_bad_keys_raise_index_errors():
    x = tinynn.zeros(2, 3, 4)
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 2"):
        x[2, :, tinynn.tensor([0])]
    with pytest.raises(IndexError, match="shape mismatch"):
        x[1, tinynn.tensor([0, 1]), tinynn.tensor([0, 1, 2])]
    with pytest.raises(IndexError, match="does not match the shape of the indexed tensor"):
        x[1, :, tinynn.tensor([True, False])]
    with pytest.raises(IndexError, match="boolean index did not match"):  # NumPy's words, same meaning
        x[1, tinynn.tensor([True, False]), 0]
    with pytest.raises(IndexError, match="too many indices"):
        x[1, :, tinynn.tensor([0]), 0]
    with pytest.raises(IndexError, match="must hold integers or bools"):
        x[[0.5]]
