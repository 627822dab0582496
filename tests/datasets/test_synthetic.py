"""The generated 2-D sets and sequence tasks: shapes, dtypes, balance, determinism, and their rules."""
import numpy as np
import pytest

import tinynn
from tinynn.datasets import (
    adding_problem, blobs, circles, copy_task, moons, parity, reverse_task, sine_regression, sine_wave,
    spirals, train_test_split, variable_length_parity, xor,
)

CLASSIFIERS = {
    "spirals": lambda **kw: spirals(301, n_classes=3, **kw),
    "moons": lambda **kw: moons(201, **kw),
    "circles": lambda **kw: circles(201, **kw),
    "xor": lambda **kw: xor(202, **kw),
    "blobs": lambda **kw: blobs(301, centers=4, **kw),
}
N_CLASSES = {"spirals": 3, "moons": 2, "circles": 2, "xor": 2, "blobs": 4}


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classification_sets_shapes_balance_and_seed(name):
    make = CLASSIFIERS[name]
    X, y = make(seed=3)
    n = X.shape[0]
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == tinynn.float32 and y.dtype == tinynn.int64
    counts = np.bincount(y.numpy(), minlength=N_CLASSES[name])
    assert len(counts) == N_CLASSES[name] and counts.max() - counts.min() <= 1
    assert np.isfinite(X.numpy()).all()
    X2, y2 = make(seed=3)
    np.testing.assert_array_equal(X.numpy(), X2.numpy())
    np.testing.assert_array_equal(y.numpy(), y2.numpy())
    X3, _ = make(seed=4)
    assert not np.array_equal(X.numpy(), X3.numpy())


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_default_generator_and_explicit_generator(name):
    make = CLASSIFIERS[name]
    tinynn.manual_seed(11)
    a, _ = make()
    tinynn.manual_seed(11)
    b, _ = make()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    g1, g2 = tinynn.Generator().manual_seed(5), tinynn.Generator().manual_seed(5)
    np.testing.assert_array_equal(make(generator=g1)[0].numpy(), make(generator=g2)[0].numpy())
    with pytest.raises(ValueError, match="seed or generator"):
        make(seed=1, generator=g1)


def test_geometry_of_the_sets():
    X, y = circles(400, noise=0.0, factor=0.3, seed=0)
    radius = np.linalg.norm(X.numpy(), axis=1)
    np.testing.assert_allclose(radius[y.numpy() == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y.numpy() == 1], 0.3, rtol=1e-6)

    X, y = xor(4, noise=0.0, seed=0)
    for point, label in zip(X.numpy(), y.numpy()):
        assert label == int(np.sign(point[0]) != np.sign(point[1]))

    X, y = spirals(200, n_classes=2, noise=0.0, seed=0)
    radius = np.linalg.norm(X.numpy(), axis=1)
    assert radius.min() == pytest.approx(0.1, abs=1e-6) and radius.max() == pytest.approx(1.0, abs=1e-6)
    # the two arms are a half turn apart: the point of arm 1 at radius s is minus the point of arm 0
    arm0 = X.numpy()[y.numpy() == 0][np.argsort(radius[y.numpy() == 0])]
    arm1 = X.numpy()[y.numpy() == 1][np.argsort(radius[y.numpy() == 1])]
    np.testing.assert_allclose(arm0, -arm1, atol=1e-6)

    centers = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = blobs(2000, centers=centers, cluster_std=0.5, seed=0)
    assert X.shape == (2000, 3)
    for k in range(2):
        np.testing.assert_allclose(X.numpy()[y.numpy() == k].mean(0), centers[k], atol=0.1)
        np.testing.assert_allclose(X.numpy()[y.numpy() == k].std(0), 0.5, atol=0.05)


def test_sine_regression():
    x, y = sine_regression(500, noise=0.0, seed=1)
    assert x.shape == (500, 1) and y.shape == (500, 1) and x.dtype == tinynn.float32
    assert np.all(np.diff(x.numpy()[:, 0]) >= 0)
    np.testing.assert_allclose(y.numpy(), np.sin(x.numpy()), atol=1e-6)
    _, noisy = sine_regression(2000, noise=0.2, seed=1)
    x2, _ = sine_regression(2000, noise=0.2, seed=1)
    assert np.std(noisy.numpy() - np.sin(x2.numpy())) == pytest.approx(0.2, rel=0.1)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        moons(0)
    with pytest.raises(ValueError, match="factor"):
        circles(10, factor=1.5)
    with pytest.raises(ValueError, match="vocab_size"):
        copy_task(4, vocab_size=1)
    with pytest.raises(ValueError, match="length must be at least 2"):
        adding_problem(4, length=1)


def test_copy_and_reverse():
    src, tgt = copy_task(50, length=7, vocab_size=5, seed=0)
    assert src.shape == (50, 7) and src.dtype == tinynn.int64
    np.testing.assert_array_equal(src.numpy(), tgt.numpy())
    assert src.numpy().min() >= 1 and src.numpy().max() <= 4  # token 0 stays free
    src, tgt = reverse_task(50, length=7, vocab_size=5, seed=0)
    np.testing.assert_array_equal(tgt.numpy(), src.numpy()[:, ::-1])
    np.testing.assert_array_equal(reverse_task(50, 7, 5, seed=0)[0].numpy(), src.numpy())


def test_adding_problem():
    x, y = adding_problem(300, length=20, seed=0)
    assert x.shape == (300, 20, 2) and y.shape == (300,) and x.dtype == y.dtype == tinynn.float32
    values, markers = x.numpy()[..., 0], x.numpy()[..., 1]
    np.testing.assert_array_equal(markers.sum(1), 2)
    assert np.all(markers[:, :10].sum(1) == 1) and np.all(markers[:, 10:].sum(1) == 1)
    np.testing.assert_allclose(y.numpy(), (values * markers).sum(1), rtol=1e-6)
    # the baseline the docstring promises: predicting 1 gives mean squared error about 1/6
    assert np.mean((y.numpy() - 1) ** 2) == pytest.approx(1 / 6, abs=0.03)


def test_parity_is_balanced_and_correct():
    x, y = parity(101, length=9, seed=0)
    assert x.shape == (101, 9, 1) and x.dtype == tinynn.float32 and y.dtype == tinynn.int64
    bits = x.numpy()[..., 0]
    assert set(np.unique(bits)) <= {0.0, 1.0}
    np.testing.assert_array_equal(y.numpy(), bits.sum(1).astype(int) % 2)
    assert abs(int(y.numpy().sum()) * 2 - 101) <= 1
    # the bits themselves stay unbiased: every position is 1 about half the time
    x, _ = parity(4000, length=6, seed=1)
    np.testing.assert_allclose(x.numpy()[..., 0].mean(0), 0.5, atol=0.04)


def test_variable_length_parity():
    x, y, lengths = variable_length_parity(200, min_length=3, max_length=10, seed=0)
    assert x.shape == (200, 10, 1) and lengths.dtype == tinynn.int64
    bits, lengths = x.numpy()[..., 0], lengths.numpy()
    assert lengths.min() >= 3 and lengths.max() <= 10
    for row, n in enumerate(lengths):
        assert bits[row, n:].sum() == 0
        assert y.numpy()[row] == int(bits[row, :n].sum()) % 2
    assert abs(int(y.numpy().sum()) - 100) <= 8  # balanced within each length (one odd sample per length)


def test_sine_wave_targets_are_the_next_values():
    x, y = sine_wave(20, length=30, noise=0.0, seed=0)
    assert x.shape == (20, 30, 1) and y.shape == (20, 30, 1)
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    assert np.abs(y.numpy()).max() <= 1.0


def test_train_test_split():
    X = tinynn.arange(20).reshape(10, 2)
    y = tinynn.tensor([0, 1] * 5)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=0)
    assert X_tr.shape == (7, 2) and X_te.shape == (3, 2) and y_te.shape == (3,)
    rows = sorted(X_tr.numpy()[:, 0].tolist() + X_te.numpy()[:, 0].tolist())
    assert rows == list(range(0, 20, 2))  # a partition of the rows
    np.testing.assert_array_equal(X_te.numpy()[:, 0] // 2 % 2, y_te.numpy())  # rows stay paired
    _, X_te2, _, _ = train_test_split(X, y, test_size=0.3, seed=0)
    np.testing.assert_array_equal(X_te.numpy(), X_te2.numpy())
    _, _, _, y_strat = train_test_split(X, y, test_size=0.4, stratify=y, seed=1)
    assert np.bincount(y_strat.numpy()).tolist() == [2, 2]
    _, X_last = train_test_split(X, test_size=2, shuffle=False)
    np.testing.assert_array_equal(X_last.numpy(), X.numpy()[-2:])
    with pytest.raises(ValueError, match="same first dimension"):
        train_test_split(X, tinynn.zeros(3))
