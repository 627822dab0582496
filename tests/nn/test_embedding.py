"""Embedding (tinynn/nn/embedding.py, tinynn/nn/functional/embedding.py): lookup and scatter-add
backward, padding_idx, scale_grad_by_freq, max_norm, from_pretrained, init, PyTorch parity, errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.autograd import gradgradcheck
from tinynn.ops.embedding import scatter_add_rows
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, needs_torch, rand, torch

INDICES = np.array([[0, 2, 2, 5], [1, 5, 5, 5]], dtype=np.int64)  # repeats, and row 3 and 4 unused


def test_scatter_add_rows_matches_add_at():
    rng = np.random.default_rng(0)
    for num_rows, n in [(7, 50), (1000, 30), (3, 1), (5, 0)]:
        indices = rng.integers(0, num_rows, n)
        rows = rng.standard_normal((n, 4))
        expected = np.zeros((num_rows, 4))
        np.add.at(expected, indices, rows)
        np.testing.assert_allclose(scatter_add_rows(rows, indices, num_rows), expected, rtol=1e-12, atol=1e-15)


def test_embedding_gradcheck():
    check_gradients(lambda w: F.embedding(tinynn.tensor(INDICES), w), rand(6, 3))


def test_embedding_gradcheck_with_padding_masked_out():
    # padding_idx deliberately withholds the padding row's gradient: with the padding positions
    # multiplied by 0 the true derivative there is 0 too, and the rest must be exact
    keep = tinynn.tensor((INDICES != 5).astype(np.float64)[..., None])
    check_gradients(lambda w: F.embedding(tinynn.tensor(INDICES), w, padding_idx=5) * keep, rand(6, 3))


@pytest.mark.parametrize("options", [{"padding_idx": 5}, {"scale_grad_by_freq": True},
                                     {"padding_idx": 2, "scale_grad_by_freq": True}])
def test_embedding_backward_is_differentiable(options):
    # padding_idx and scale_grad_by_freq change the first derivative on purpose (PyTorch's rule), so
    # only the second-order check applies: the scatter's backward must be the adjoint of the scatter
    weight = tinynn.tensor(rand(6, 3), requires_grad=True)
    assert gradgradcheck(lambda w: F.embedding(tinynn.tensor(INDICES), w, **options), (weight,))


def test_embedding_gradient_counts_repeats_and_skips_padding():
    weight = tinynn.tensor(rand(6, 2), requires_grad=True)
    F.embedding(tinynn.tensor(INDICES), weight, padding_idx=2).sum().backward()
    # row r's gradient is (times r occurs) * ones, except the padding row
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [1, 1, 0, 0, 0, 4])


@needs_torch
@pytest.mark.parametrize("options", [{}, {"padding_idx": 5}, {"padding_idx": -4}, {"scale_grad_by_freq": True},
                                     {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_module_matches_torch(options):
    ours = nn.Embedding(6, 3, **options).double()
    theirs = torch.nn.Embedding(6, 3, **options).double()
    assert_module_matches_torch(ours, theirs, [INDICES])
    assert repr(ours) == repr(theirs)


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalises_looked_up_rows_like_torch(norm_type):
    weight = rand(6, 3) * 3
    ours, theirs = tinynn.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    out_ours = F.embedding(tinynn.tensor(INDICES), ours, max_norm=1.5, norm_type=norm_type)
    out_theirs = torch.nn.functional.embedding(torch.tensor(INDICES), theirs, max_norm=1.5, norm_type=norm_type)
    assert_close(out_ours, out_theirs)
    assert_close(ours.detach(), theirs.detach())  # the table itself was changed in place
    np.testing.assert_array_equal(ours.detach().numpy()[3:5], weight[3:5])  # rows not looked up are untouched
    norms = np.linalg.norm(ours.detach().numpy()[[0, 1, 2, 5]], ord=norm_type, axis=1)
    assert np.all(norms <= 1.5 + 1e-9)
    out_ours.sum().backward()
    out_theirs.sum().backward()
    assert_close(ours.grad, theirs.grad)


def test_max_norm_module_bumps_the_version():
    emb = nn.Embedding(4, 3, max_norm=0.1)
    before = emb.weight._version
    emb(tinynn.tensor([0, 1]))
    assert emb.weight._version > before
    assert np.all(np.linalg.norm(emb.weight.detach().numpy()[:2], axis=1) <= 0.1 + 1e-6)


def test_embedding_init_is_standard_normal_with_zero_padding_row():
    tinynn.manual_seed(0)
    emb = nn.Embedding(1000, 200, padding_idx=7)
    w = emb.weight.detach().numpy()
    np.testing.assert_array_equal(w[7], 0)
    others = np.delete(w, 7, axis=0)
    assert abs(others.mean()) < 5 / np.sqrt(others.size)
    assert abs(others.std() - 1) < 0.01


def test_padding_row_stays_zero_while_training():
    emb = nn.Embedding(5, 3, padding_idx=0)
    out = emb(tinynn.tensor([[0, 1, 0], [2, 0, 4]]))
    (out * out).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[0], 0)
    assert np.abs(emb.weight.grad.numpy()[1]).sum() > 0


def test_output_shape_and_dtype():
    emb = nn.Embedding(10, 4, dtype=tinynn.float64)
    assert emb(tinynn.tensor(INDICES)).shape == (2, 4, 4)
    assert emb(tinynn.tensor(3)).shape == (4,)
    assert emb(tinynn.tensor(INDICES.astype(np.int32))).dtype == tinynn.float64


@pytest.mark.cpu_only
def test_from_pretrained_shares_memory_and_freezes():
    table = tinynn.tensor(rand(4, 3))
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert_close(emb(tinynn.tensor([2, 0])), rand(4, 3)[[2, 0]])
    table.numpy()[1, 1] = 42.0
    assert emb.weight.detach().numpy()[1, 1] == 42.0
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    assert trainable.weight.detach().numpy()[1, 1] == 42.0  # a pretrained padding row is not zeroed
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(tinynn.zeros(3))


def test_embedding_errors():
    emb = nn.Embedding(5, 2)
    with pytest.raises(RuntimeError, match="integer tensor"):
        emb(tinynn.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="index 5 is out of range"):
        emb(tinynn.tensor([0, 5]))
    with pytest.raises(IndexError, match="index -1"):
        emb(tinynn.tensor([-1, 2]))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(AssertionError, match="Padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(AssertionError, match="Shape of weight"):
        nn.Embedding(5, 2, _weight=tinynn.zeros(5, 3))


def test_one_hot_is_exported():
    out = F.one_hot(tinynn.tensor([0, 2]), 3)
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 1]])
