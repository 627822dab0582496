"""EmbeddingBag (tinynn/nn/embedding_bag.py, F.embedding_bag): sum/mean/max of bags against a loop over
bags, float64 gradchecks (weight and per_sample_weights), PyTorch parity of outputs and gradients
(offsets, 2-d input, padding_idx, include_last_offset, empty bags, scale_grad_by_freq, max_norm), the
layer's state_dict, repr, from_pretrained, and PyTorch's errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import (assert_close, assert_matches_torch, assert_module_matches_torch, check_gradients, leaf,
                           needs_torch, rand, torch)

INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 0, 5, 1])
OFFSETS = np.array([0, 2, 2, 5, 9])          # bags [1 2] [] [4 5 4] [3 2 0 5] [1]: one empty bag
WEIGHT = rand(6, 3, seed=1)


def _loop(weight, indices, offsets, mode, padding_idx=None, per_sample=None):
    """The definition: one bag at a time."""
    ends = list(offsets[1:]) + [len(indices)]
    out = []
    for start, end in zip(offsets, ends):
        rows = [(weight[i] * (1 if per_sample is None else per_sample[n]))
                for n, i in enumerate(indices[start:end], start) if i != padding_idx]
        if not rows:
            out.append(np.zeros(weight.shape[1]))
            continue
        out.append({"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, axis=0))
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_is_a_reduction_over_each_bag(mode, padding_idx):
    y = F.embedding_bag(tinynn.tensor(INPUT), leaf(WEIGHT), tinynn.tensor(OFFSETS), mode=mode, padding_idx=padding_idx)
    assert_close(y, _loop(WEIGHT, INPUT, OFFSETS, mode, padding_idx))
    per_sample = rand(len(INPUT), seed=2)
    if mode == "sum":
        y = F.embedding_bag(tinynn.tensor(INPUT), leaf(WEIGHT), tinynn.tensor(OFFSETS), mode="sum",
                            per_sample_weights=leaf(per_sample), padding_idx=padding_idx)
        assert_close(y, _loop(WEIGHT, INPUT, OFFSETS, "sum", padding_idx, per_sample))


@pytest.mark.parametrize("mode,kwargs", [
    ("sum", {}), ("mean", {"padding_idx": 2}), ("max", {"padding_idx": 4}),
    ("sum", {"include_last_offset": True, "padding_idx": 0}),
])
def test_embedding_bag_weight_gradients(mode, kwargs):
    offsets = tinynn.tensor(np.append(OFFSETS, len(INPUT)) if kwargs.get("include_last_offset") else OFFSETS)
    check_gradients(lambda w: F.embedding_bag(tinynn.tensor(INPUT), w, offsets, mode=mode, **kwargs), WEIGHT)


def test_embedding_bag_per_sample_weights_gradients():
    fn = lambda w, p: F.embedding_bag(tinynn.tensor(INPUT.reshape(2, 5)), w, mode="sum", per_sample_weights=p,
                                      padding_idx=5)
    check_gradients(fn, WEIGHT, rand(2, 5, seed=3))


PARITY = [  # (mode, input, offsets, extra arguments)
    ("sum", INPUT, OFFSETS, {}),
    ("mean", INPUT, OFFSETS, {"padding_idx": 2}),
    ("max", INPUT, OFFSETS, {"padding_idx": -1}),
    ("mean", INPUT, np.append(OFFSETS, len(INPUT)), {"include_last_offset": True}),
    ("max", INPUT.reshape(2, 5), None, {}),
    ("mean", INPUT.reshape(5, 2), None, {"padding_idx": 4}),
    ("sum", INPUT, np.array([0, 0, 10]), {}),   # empty bags first and last
    ("sum", np.array([3, 3, 1, 0]), np.array([0, 2]), {"scale_grad_by_freq": True}),   # (where PyTorch's CPU is right)
]


@needs_torch
@pytest.mark.parametrize("mode,indices,offsets,kwargs", PARITY)
def test_embedding_bag_matches_torch(mode, indices, offsets, kwargs):
    if offsets is None:
        ours = lambda i, w: F.embedding_bag(i, w, mode=mode, **kwargs)
        theirs = lambda i, w: torch.nn.functional.embedding_bag(i, w, mode=mode, **kwargs)
        assert_matches_torch(ours, theirs, indices, WEIGHT)
        return
    ours = lambda i, w, o: F.embedding_bag(i, w, o, mode=mode, **kwargs)
    theirs = lambda i, w, o: torch.nn.functional.embedding_bag(i, w, o, mode=mode, **kwargs)
    assert_matches_torch(ours, theirs, indices, WEIGHT, offsets)


@needs_torch
def test_embedding_bag_per_sample_weights_match_torch():
    for indices, offsets in ((INPUT, OFFSETS), (INPUT.reshape(2, 5), None)):
        per_sample = rand(*indices.shape, seed=4)
        ours = lambda i, w, p: F.embedding_bag(i, w, None if offsets is None else tinynn.tensor(offsets), mode="sum",
                                               per_sample_weights=p, padding_idx=1)
        theirs = lambda i, w, p: torch.nn.functional.embedding_bag(
            i, w, None if offsets is None else torch.tensor(offsets), mode="sum", per_sample_weights=p, padding_idx=1)
        assert_matches_torch(ours, theirs, indices, WEIGHT, per_sample)


@needs_torch
def test_embedding_bag_max_norm_renormalizes_the_looked_up_rows_as_torch():
    ours, theirs = tinynn.tensor(WEIGHT * 2), torch.tensor(WEIGHT * 2)
    a = F.embedding_bag(tinynn.tensor(INPUT[:5]), ours, tinynn.tensor([0, 3]), max_norm=1.5, norm_type=1.0, mode="sum")
    b = torch.nn.functional.embedding_bag(torch.tensor(INPUT[:5]), theirs, torch.tensor([0, 3]), max_norm=1.5,
                                          norm_type=1.0, mode="sum")
    assert_close(a, b)
    assert_close(ours, theirs)   # the rows used were rescaled in place, the others left alone


def test_embedding_bag_scale_grad_by_freq_divides_each_row_by_its_frequency():
    # As F.embedding does. PyTorch 2.13's CPU embedding_bag divides some rows by another index's count
    # (pytorch/pytorch#190063: input [1, 1, 3] gives row 3 a factor 1/2); tinynn does not copy that.
    weight = leaf(WEIGHT)
    F.embedding_bag(tinynn.tensor(INPUT), weight, tinynn.tensor(OFFSETS), mode="sum", scale_grad_by_freq=True,
                    padding_idx=2).sum().backward()
    reference = leaf(WEIGHT)
    F.embedding(tinynn.tensor(INPUT), reference, padding_idx=2, scale_grad_by_freq=True).sum().backward()
    assert_close(weight.grad, reference.grad)
    assert_close(weight.grad.numpy()[:, 0], [1, 1, 0, 1, 1, 1])   # every index used: frequency * 1/frequency


def test_embedding_bag_last_offset_ends_the_last_bag():
    # include_last_offset: offsets holds B + 1 entries and bag B - 1 ends at offsets[B] (CSR), even when
    # that is before the end of input (PyTorch's CPU kernels disagree among themselves there)
    offsets = tinynn.tensor([0, 2, 5, 6])
    y = F.embedding_bag(tinynn.tensor(INPUT), leaf(WEIGHT), offsets, mode="mean", include_last_offset=True)
    assert_close(y, _loop(WEIGHT, INPUT[:6], np.array([0, 2, 5]), "mean"))
    y = F.embedding_bag(tinynn.tensor(INPUT), leaf(WEIGHT), offsets, mode="max", include_last_offset=True)
    assert_close(y, _loop(WEIGHT, INPUT[:6], np.array([0, 2, 5]), "max"))


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"mode": "sum", "padding_idx": 0}, {"mode": "max", "max_norm": 1.0},
                                    {"mode": "sum", "include_last_offset": True}])
def test_embedding_bag_layer_matches_torch(kwargs):
    ours, theirs = nn.EmbeddingBag(6, 3, **kwargs).double(), torch.nn.EmbeddingBag(6, 3, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert repr(ours) == repr(theirs)
    offsets = np.append(OFFSETS, len(INPUT)) if kwargs.get("include_last_offset") else OFFSETS
    assert_module_matches_torch(ours, theirs, [INPUT, offsets])
    assert_module_matches_torch(ours, theirs, [INPUT.reshape(2, 5)])


def test_embedding_bag_layer_padding_row_and_from_pretrained():
    bag = nn.EmbeddingBag(5, 2, padding_idx=-2)
    assert bag.padding_idx == 3 and (bag.weight.detach().numpy()[3] == 0).all()
    table = tinynn.tensor(WEIGHT)
    frozen = nn.EmbeddingBag.from_pretrained(table, mode="max")
    assert not frozen.weight.requires_grad and frozen.mode == "max"
    assert_close(frozen(tinynn.tensor(INPUT), tinynn.tensor(OFFSETS)), _loop(WEIGHT, INPUT, OFFSETS, "max"))
    assert nn.EmbeddingBag.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.EmbeddingBag.from_pretrained(tinynn.zeros(3))
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(5, 2, padding_idx=5)
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.EmbeddingBag(5, 2, _weight=tinynn.zeros(3, 3))


def test_embedding_bag_errors():
    i, w, o = tinynn.tensor(INPUT), tinynn.tensor(WEIGHT), tinynn.tensor(OFFSETS)
    cases = [
        (ValueError, "offsets has to be a 1D Tensor but got None", lambda: F.embedding_bag(i, w)),
        (ValueError, "if input is 2D, then offsets has to be None", lambda: F.embedding_bag(i.reshape(2, 5), w, o)),
        (ValueError, "input has to be 1D or 2D Tensor, but got Tensor of dimension 3",
         lambda: F.embedding_bag(i.reshape(1, 2, 5), w)),
        (ValueError, "weight has to be a 2D Tensor, but got Tensor of dimension 1",
         lambda: F.embedding_bag(i, w[0], o)),
        (ValueError, "mode has to be one of sum, mean or max", lambda: F.embedding_bag(i, w, o, mode="min")),
        (ValueError, "max mode does not support scaling the gradient by the frequency",
         lambda: F.embedding_bag(i, w, o, mode="max", scale_grad_by_freq=True)),
        (NotImplementedError, "per_sample_weights is only supported for mode='sum'",
         lambda: F.embedding_bag(i, w, o, per_sample_weights=tinynn.ones(10, dtype=tinynn.float64))),
        (ValueError, "must have the same shape as the input",
         lambda: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=tinynn.ones(3))),
        (RuntimeError, "offsets\\[0\\] has to be 0", lambda: F.embedding_bag(i, w, tinynn.tensor([1, 2]))),
        (RuntimeError, "offsets\\[-1\\] can not be greater than input's length 10",
         lambda: F.embedding_bag(i, w, tinynn.tensor([0, 11]))),
        (RuntimeError, "offsets must be non-decreasing", lambda: F.embedding_bag(i, w, tinynn.tensor([0, 3, 2]))),
        (IndexError, "Expected idx >= 0 && idx < num_embeddings but found idx to be 7",
         lambda: F.embedding_bag(tinynn.tensor([1, 7]), w, tinynn.tensor([0]))),
        (RuntimeError, "padding_idx must be within the number of embeddings, -6 through 5, but got 6",
         lambda: F.embedding_bag(i, w, o, padding_idx=6)),
        (RuntimeError, "expected input \\(the indices\\) to be an integer tensor",
         lambda: F.embedding_bag(i.float(), w, o)),
        (NotImplementedError, "sparse gradients", lambda: F.embedding_bag(i, w, o, sparse=True)),
    ]
    for error, message, call in cases:
        with pytest.raises(error, match=message):
            call()


def test_embedding_bag_without_bags_or_entries():
    w = leaf(WEIGHT)
    assert F.embedding_bag(tinynn.tensor(INPUT), w, tinynn.tensor([0]), include_last_offset=True).shape == (0, 3)
    empty = F.embedding_bag(tinynn.zeros(0, dtype=tinynn.int64), w, tinynn.tensor([0, 0]), mode="max")
    assert_close(empty, np.zeros((2, 3)))
    assert_close(F.embedding_bag(tinynn.zeros(2, 0, dtype=tinynn.int64), w, mode="mean"), np.zeros((2, 3)))
