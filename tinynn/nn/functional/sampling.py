"""Spatial transformers: F.affine_grid (where to sample) and F.grid_sample (sample there).

    grid = F.affine_grid(theta, size)          theta: (N, 2, 3) [or (N, 3, 4)], size: (N, C, H, W) [or 5-d]
    out  = F.grid_sample(input, grid)          grid: (N, H_out, W_out, 2) [or (N, D, H, W, 3)] in [-1, 1]

affine_grid puts the output pixels' normalised coordinates (x, y[, z], 1) through theta:
grid[n, i, j] = theta[n] @ (x_j, y_i, 1). Both are differentiable in every input (theta, the image,
the grid), which is what lets a spatial transformer network learn theta. The sampling arithmetic is
in ``tinynn/ops/grid_sample.py``; here are PyTorch's signatures, defaults, warnings and checks.
"""
from __future__ import annotations

import warnings

from ...backend import array_module_of
from ...ops.grid_sample import ZeroGradientTo, sample, source_position, unnormalize
from ...tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _base_coordinates(n: int, align_corners: bool, dtype, xp):
    """The normalised coordinates of n pixel centres: -1 .. 1 (align_corners), else shrunk by (n-1)/n."""
    if n <= 1:
        return xp.zeros(max(n, 0), dtype=dtype)
    points = xp.linspace(-1, 1, n, dtype=dtype)
    return points if align_corners else points * (n - 1) / n


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid of the affine maps ``theta`` for an output of ``size`` (N, C, H, W) or (N, C, D, H, W)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: expected theta to be a Tensor, got {type(theta).__name__}")
    if not theta.is_floating_point():
        raise ValueError(f"affine_grid: expected theta to have a floating point dtype, got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: size must have 4 (2-d transforms) or 5 (3-d) entries, got {size}")
    k = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (k, k + 1) or theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: expected a batch of {size[0]} {k}-d affine matrices of shape "
                         f"({size[0]}, {k}, {k + 1}) for size {size}, got theta of shape {tuple(theta.shape)}")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("affine_grid: with align_corners=True a unit-size dimension samples at coordinate 0 "
                      "(PyTorch's behaviour since 1.3.0); this is not an intended use of affine_grid.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"affine_grid: expected a positive output size, got {size}")
    xp = array_module_of(theta._data)
    axes = [_base_coordinates(n, align_corners, theta.dtype, xp) for n in spatial]      # (D,) H, W
    mesh = xp.meshgrid(*axes, indexing="ij")
    columns = [mesh[d] for d in reversed(range(k))] + [xp.ones(tuple(spatial), dtype=theta.dtype)]
    base = Tensor._make(xp.stack(columns, axis=-1).reshape(1, -1, k + 1))        # (1, points, [x, y, (z,) 1])
    grid = base @ theta.transpose(1, 2)                                              # (N, points, k)
    return grid.reshape(size[0], *spatial, k)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) [or 5-d] at ``grid`` (N, H_out, W_out, 2) [or (N, D, H, W, 3)].

    mode: 'bilinear' (default), 'nearest', 'bicubic' (4-d only); padding_mode: 'zeros', 'border',
    'reflection'. Output: (N, C, H_out, W_out) [or (N, C, D_out, H_out, W_out)].
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"grid_sample: expected mode to be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: expected padding_mode to be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check(input, grid, mode)
    k = input.ndim - 2
    n, c = input.shape[:2]
    points = tuple(grid.shape[1:-1])
    coords = [grid[..., k - 1 - d].reshape(n, -1) for d in range(k)]     # dim d of the image: grid[..., k-1-d]
    spatial = tuple(input.shape[2:])
    if mode == "bicubic":
        positions = [unnormalize(g, s, align_corners) for g, s in zip(coords, spatial)]
    else:
        positions = [source_position(g, s, padding_mode, align_corners) for g, s in zip(coords, spatial)]
    out = sample(input, positions, mode, padding_mode, align_corners)
    if mode == "nearest":
        out = ZeroGradientTo.apply(out, grid)
    return out.reshape(n, c, *points)


def _check(input, grid, mode: str) -> None:
    for name, value in (("input", input), ("grid", grid)):
        if not isinstance(value, Tensor):
            raise TypeError(f"grid_sample: expected {name} to be a Tensor, got {type(value).__name__}")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sample: expected 4-d or 5-d input and grid with the same number of dims, got "
                           f"input of shape {tuple(input.shape)} and grid of shape {tuple(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sample: expected grid and input to have the same batch size, got input of shape "
                           f"{tuple(input.shape)} and grid of shape {tuple(grid.shape)}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sample: expected grid to have size {input.ndim - 2} in its last dim, got grid of "
                           f"shape {tuple(grid.shape)}")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError(f"grid_sample: expected input to have non-empty spatial dims, "
                           f"got shape {tuple(input.shape)}")
    if not input.is_floating_point() or input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sample: expected input and grid to have the same floating dtype, got "
                           f"{input.dtype} and {grid.dtype}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sample: bicubic interpolation only supports 4-d input")

