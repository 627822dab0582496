"""pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence, PackedSequence and friends
(tinynn/nn/utils/rnn.py): PyTorch parity of data, batch_sizes and indices, gradients, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.nn.utils import rnn as utils

if torch is not None:
    from torch.nn.utils import rnn as torch_utils

LENGTH_CASES = {
    "sorted": [5, 3, 3, 1],
    "unsorted_with_ties": [3, 5, 1, 5, 3],
    "all_equal": [4, 4, 4],
    "single": [2],
}
# Among equal lengths tinynn keeps the original order (a stable sort). PyTorch's order agrees for small
# batches but is unspecified for large ones, so with many ties only order-free results are compared.
MANY_TIES = [(7 * k) % 3 + 1 for k in range(40)]


def _pieces(packed) -> list:
    return [packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices]


def _assert_same_packing(ours, theirs):
    for name, a, b in zip(("data", "batch_sizes", "sorted_indices", "unsorted_indices"), _pieces(ours), _pieces(theirs)):
        assert (a is None) == (b is None), f"{name}: {a} vs {b}"
        if a is not None:
            assert_close(a, b, what=name)
            assert a.dtype == np.dtype(str(b.dtype).replace("torch.", "")), name


# ---------------------------------------------------------------------------- pad_sequence
@needs_torch
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 2)])
def test_pad_sequence_matches_torch(trailing, batch_first, padding_side):
    arrays = [rand(n, *trailing, seed=n) for n in (2, 4, 1)]
    assert_matches_torch(
        lambda *xs: utils.pad_sequence(xs, batch_first, -1.5, padding_side),
        lambda *xs: torch_utils.pad_sequence(xs, batch_first, -1.5, padding_side),
        *arrays,
    )


def test_pad_sequence_gradcheck():
    check_gradients(lambda a, b: utils.pad_sequence([a, b], batch_first=True, padding_side="left"),
                    rand(3, 2, seed=1), rand(1, 2, seed=2))


# ---------------------------------------------------------------------------- packing
@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("case", LENGTH_CASES)
def test_pack_padded_sequence_matches_torch(case, batch_first):
    lengths = LENGTH_CASES[case]
    shape = (len(lengths), max(lengths), 2) if batch_first else (max(lengths), len(lengths), 2)
    x = rand(*shape, seed=3)
    enforce_sorted = lengths == sorted(lengths, reverse=True)
    for enforce in {enforce_sorted, False}:
        ours = utils.pack_padded_sequence(tinynn.tensor(x), lengths, batch_first, enforce)
        theirs = torch_utils.pack_padded_sequence(torch.tensor(x), lengths, batch_first, enforce)
        _assert_same_packing(ours, theirs)


def test_pack_padded_sequence_sorts_ties_stably():
    packed = utils.pack_padded_sequence(tinynn.zeros(3, len(MANY_TIES)), MANY_TIES, enforce_sorted=False)
    expected = [k for length in (3, 2, 1) for k, n in enumerate(MANY_TIES) if n == length]
    assert packed.sorted_indices.tolist() == expected
    assert packed.batch_sizes.tolist() == [40, 26, 13]


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("case", list(LENGTH_CASES) + ["many_ties"])
def test_pack_then_pad_matches_torch_with_gradients(case, batch_first):
    """pad_packed_sequence(pack_padded_sequence(x)) zeroes the padding; gradients flow back through both."""
    lengths = MANY_TIES if case == "many_ties" else LENGTH_CASES[case]
    shape = (len(lengths), max(lengths) + 1, 2) if batch_first else (max(lengths) + 1, len(lengths), 2)

    def roundtrip(lib, mod):
        def fn(x):
            packed = mod.pack_padded_sequence(x, lib.tensor(lengths), batch_first, enforce_sorted=False)
            padded, out_lengths = mod.pad_packed_sequence(packed, batch_first, padding_value=0.5,
                                                          total_length=max(lengths) + 2)
            assert out_lengths.tolist() == lengths
            return padded
        return fn

    assert_matches_torch(roundtrip(tinynn, utils), roundtrip(torch, torch_utils), rand(*shape, seed=4))


@needs_torch
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_match_torch(enforce_sorted):
    arrays = [rand(n, 3, seed=n) for n in ((4, 2, 2, 1) if enforce_sorted else (2, 4, 1, 2))]
    ours = utils.pack_sequence([tinynn.tensor(a) for a in arrays], enforce_sorted)
    theirs = torch_utils.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted)
    _assert_same_packing(ours, theirs)
    for a, b, original in zip(utils.unpack_sequence(ours), torch_utils.unpack_sequence(theirs), arrays):
        assert_close(a, b)
        assert_close(a, original)


@needs_torch
def test_unpad_sequence_matches_torch():
    x, lengths = rand(4, 3, 2, seed=5), [2, 4, 1]
    for a, b in zip(utils.unpad_sequence(tinynn.tensor(x), tinynn.tensor(lengths)),
                    torch_utils.unpad_sequence(torch.tensor(x), torch.tensor(lengths))):
        assert_close(a, b)


def test_pack_padded_sequence_gradcheck():
    check_gradients(lambda x: utils.pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False).data,
                    rand(3, 3, 2, seed=6))


def test_pad_packed_sequence_gradcheck():
    """Gradients w.r.t. the packed data: the padded positions get none."""
    batch_sizes = tinynn.tensor([3, 2, 1])
    sorted_indices = tinynn.tensor([2, 0, 1])

    def fn(data):
        packed = utils.PackedSequence(data, batch_sizes, sorted_indices)
        return utils.pad_packed_sequence(packed, batch_first=True, total_length=4)[0]

    check_gradients(fn, rand(6, 2, seed=7))


def test_packed_layout_is_time_major():
    """Rows: step 0 of every sequence (longest first), then step 1 of those still running, ..."""
    x = tinynn.tensor(np.arange(12, dtype=np.float64).reshape(4, 3, 1))    # x[t, b] = 3 t + b
    packed = utils.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    assert packed.data.reshape(-1).tolist() == [1, 0, 2, 4, 3, 7, 10]       # b order 1, 0, 2
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]


# ---------------------------------------------------------------------------- PackedSequence
@pytest.mark.cpu_only  # checks that it is not on cuda
def test_packed_sequence_is_a_namedtuple_with_inverse_indices():
    packed = utils.PackedSequence(tinynn.zeros(6, 2), [3, 2, 1], tinynn.tensor([2, 0, 1]))
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert batch_sizes.dtype == tinynn.int64 and batch_sizes.tolist() == [3, 2, 1]
    assert unsorted_indices.tolist() == [1, 2, 0]
    assert utils.invert_permutation(None) is None
    converted = packed.double()
    assert converted.data.dtype == tinynn.float64 and converted.unsorted_indices.tolist() == [1, 2, 0]
    assert packed.to(tinynn.float32) is packed
    assert not packed.is_cuda


# ---------------------------------------------------------------------------- errors
x_padded = tinynn.zeros(4, 3, 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: utils.pack_padded_sequence(x_padded, [2, 3, 1]), RuntimeError, "must be sorted in decreasing order"),
    (lambda: utils.pack_padded_sequence(x_padded, [3, 2, 0]), RuntimeError, "has to be greater than 0"),
    (lambda: utils.pack_padded_sequence(x_padded, [3, 2]), RuntimeError,
     r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 \(batch_size=3\)"),
    (lambda: utils.pack_padded_sequence(x_padded, [5, 2, 1]), RuntimeError, "length of 5 exceeds the padded length 4"),
    (lambda: utils.pack_padded_sequence(x_padded, [[3, 2, 1]]), RuntimeError, "'lengths' should be 1-d"),
    (lambda: utils.pack_padded_sequence(x_padded, [2.5, 2, 1]), RuntimeError, "whole numbers"),
    (lambda: utils.pad_packed_sequence(utils.pack_padded_sequence(x_padded, [3, 2, 1]), total_length=2), ValueError,
     "Expected total_length to be at least the length of the longest sequence in input, but got total_length=2 "
     "and max sequence length being 3"),
    (lambda: utils.pad_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda: utils.pad_sequence([tinynn.zeros(2, 3), tinynn.zeros(3, 2)]), RuntimeError, r"sequence 1 has shape \(3, 2\)"),
    (lambda: utils.pad_sequence([tinynn.zeros(2)], padding_side="middle"), RuntimeError,
     "Expected padding_side to be one of left or right, but got middle."),
    (lambda: utils.PackedSequence(tinynn.zeros(2, 1)), TypeError, "batch_sizes is required"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
