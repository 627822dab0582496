"""Small 2-D data sets made from formulas: classification toys and a regression curve.

Every function returns tinynn tensors, features float32 and class labels int64:

    spirals(n_samples, n_classes=2, noise)   interleaved arms r = s, angle = 3*pi*s + 2*pi*k/K
    moons(n_samples, noise)                  two interlocking half circles
    circles(n_samples, noise, factor)        a small circle inside a big one
    xor(n_samples, noise)                    four clusters at (+-1, +-1); label = sign(x) != sign(y)
    blobs(n_samples, centers, cluster_std)   isotropic Gaussian clusters
    sine_regression(n_samples, noise)        y = sin(x) + noise, x in [-pi, pi]

Classification sets give X (N, 2) and y (N,). Classes are balanced: the N samples are dealt to the
K classes as evenly as possible (counts differ by at most one), then shuffled. Randomness follows
one rule (``seed`` for a fixed data set, ``generator`` for a tinynn.Generator, or neither for
tinynn's default generator; see _seeding.py).
"""
from __future__ import annotations

import math

import numpy as np

from ..creation import from_numpy
from ..random import Generator
from ..tensor import Tensor
from ._seeding import check_positive, make_rng

__all__ = ["spirals", "moons", "circles", "xor", "blobs", "sine_regression", "class_counts"]


def class_counts(n_samples: int, n_classes: int) -> list[int]:
    """How many samples each class gets: as equal as possible, the first classes one more."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _finish(points: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
            shuffle: bool) -> tuple[Tensor, Tensor]:
    if shuffle:
        order = rng.permutation(len(labels))
        points, labels = points[order], labels[order]
    return from_numpy(np.ascontiguousarray(points, dtype=np.float32)), from_numpy(labels.astype(np.int64))


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def spirals(n_samples: int = 300, n_classes: int = 2, noise: float = 0.05, seed: int | None = None,
            generator: Generator | None = None, shuffle: bool = True) -> tuple[Tensor, Tensor]:
    """K spiral arms winding out of the origin, one per class; no straight line separates them.

    Arm k at parameter s in [0.1, 1] (evenly spaced) makes one and a half turns:
        radius = s,  angle = 3*pi*s + 2*pi*k/K,  point = radius * (cos angle, sin angle) + noise * N(0, I).
    Neighbouring windings are about 1/(1.5 K) apart, so noise well below that keeps the arms apart.
    """
    check_positive("spirals", n_samples=n_samples, n_classes=n_classes)
    rng = make_rng(seed, generator, "spirals")
    counts = class_counts(n_samples, n_classes)
    labels = _labels(counts)
    s = np.concatenate([np.linspace(0.1, 1.0, c) for c in counts])
    angle = 3 * math.pi * s + 2 * math.pi * labels / n_classes
    points = s[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points += noise * rng.standard_normal(points.shape)
    return _finish(points, labels, rng, shuffle)


def moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = None,
          generator: Generator | None = None, shuffle: bool = True) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles: class 0 the upper arc (cos a, sin a), class 1 the lower arc
    (1 - cos a, 0.5 - sin a), a in [0, pi]; plus Gaussian noise of standard deviation ``noise``."""
    check_positive("moons", n_samples=n_samples)
    rng = make_rng(seed, generator, "moons")
    n0, n1 = class_counts(n_samples, 2)
    a0, a1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    points = np.concatenate([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    return _finish(points, _labels([n0, n1]), rng, shuffle)


def circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = None,
            generator: Generator | None = None, shuffle: bool = True) -> tuple[Tensor, Tensor]:
    """Class 0 on the unit circle, class 1 on a circle of radius ``factor`` (0 < factor < 1) inside it."""
    check_positive("circles", n_samples=n_samples)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be between 0 and 1 (exclusive), got {factor}")
    rng = make_rng(seed, generator, "circles")
    n0, n1 = class_counts(n_samples, 2)
    a0 = np.linspace(0, 2 * math.pi, n0, endpoint=False)
    a1 = np.linspace(0, 2 * math.pi, n1, endpoint=False)
    outer = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    inner = factor * np.stack([np.cos(a1), np.sin(a1)], axis=1)
    points = np.concatenate([outer, inner]) + noise * rng.standard_normal((n_samples, 2))
    return _finish(points, _labels([n0, n1]), rng, shuffle)


def xor(n_samples: int = 200, noise: float = 0.1, seed: int | None = None,
        generator: Generator | None = None, shuffle: bool = True) -> tuple[Tensor, Tensor]:
    """The XOR problem: clusters around the four corners (+-1, +-1); label 1 where the signs differ.

    No single line separates the classes (a lone neuron fails); one hidden layer does it. The
    samples are dealt to the four corners in turn, so each class gets half; ``xor(4, noise=0)``
    is exactly the truth table (-1,-1)->0, (1,1)->0, (-1,1)->1, (1,-1)->1.
    """
    check_positive("xor", n_samples=n_samples)
    rng = make_rng(seed, generator, "xor")
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [1.0, -1.0]])  # labels 0, 1, 0, 1
    corner = np.arange(n_samples) % 4
    points = corners[corner] + noise * rng.standard_normal((n_samples, 2))
    labels = corner % 2
    return _finish(points, labels, rng, shuffle)


def blobs(n_samples: int = 300, centers: int | np.ndarray = 3, cluster_std: float = 1.0,
          n_features: int = 2, center_box: tuple[float, float] = (-10.0, 10.0), seed: int | None = None,
          generator: Generator | None = None, shuffle: bool = True) -> tuple[Tensor, Tensor]:
    """Gaussian clusters: class k is centre_k + cluster_std * N(0, I).

    centers: the number of clusters (their centres drawn uniformly in ``center_box`` per
    coordinate), or the centres themselves as an array (K, n_features).
    """
    check_positive("blobs", n_samples=n_samples, n_features=n_features)
    rng = make_rng(seed, generator, "blobs")
    if isinstance(centers, (int, np.integer)):
        check_positive("blobs", centers=centers)
        centers = rng.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2:
        raise ValueError(f"blobs: centers must be an int or an array (K, n_features), got shape {centers.shape}")
    labels = _labels(class_counts(n_samples, len(centers)))
    points = centers[labels] + cluster_std * rng.standard_normal((n_samples, centers.shape[1]))
    return _finish(points, labels, rng, shuffle)


def sine_regression(n_samples: int = 200, noise: float = 0.1, x_range: tuple[float, float] = (-math.pi, math.pi),
                    seed: int | None = None, generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """A curve to fit: x uniform in ``x_range``, y = sin(x) + noise * N(0, 1).

    Returns x (N, 1) and y (N, 1), both float32, sorted by x (handy for plotting the fit).
    """
    check_positive("sine_regression", n_samples=n_samples)
    rng = make_rng(seed, generator, "sine_regression")
    x = np.sort(rng.uniform(x_range[0], x_range[1], size=n_samples))
    y = np.sin(x) + noise * rng.standard_normal(n_samples)
    return from_numpy(x[:, None].astype(np.float32)), from_numpy(y[:, None].astype(np.float32))
