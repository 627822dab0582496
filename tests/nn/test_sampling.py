"""F.affine_grid and F.grid_sample (tinynn/nn/functional/sampling.py, tinynn/ops/grid_sample.py): float64
gradchecks (second order too) w.r.t. the image, the grid and theta over every mode, padding mode and
align_corners; PyTorch parity of outputs and both gradients, also at the awkward points (the
identity grid, whose corners sit exactly on the border; exact pixel centres and halves; far
outside the image); the warnings and the errors."""
import itertools
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

SAMPLINGS = [(mode, padding, align, dims)
             for mode, padding, align, dims in itertools.product(("bilinear", "nearest", "bicubic"),
                                                                 ("zeros", "border", "reflection"),
                                                                 (False, True), (2, 3))
             if not (mode == "bicubic" and dims == 3)]
IDS = [f"{m}-{p}-align{a}-{d}d" for m, p, a, d in SAMPLINGS]


def _image_and_grid(dims: int, seed: int, spread: float = 1.4):
    image = rand(*((2, 2) + (3, 4, 3)[:dims]), seed=seed)
    grid = rand(*((2,) + (2, 3, 2)[:dims] + (dims,)), seed=seed + 1, low=-spread, high=spread)
    return image, grid


@pytest.mark.parametrize("mode, padding, align, dims", SAMPLINGS, ids=IDS)
def test_grid_sample_gradcheck(mode, padding, align, dims):
    image, grid = _image_and_grid(dims, seed=1)
    image, grid = image[:1], grid[:1]
    check_gradients(lambda x, g: F.grid_sample(x, g, mode, padding, align), image, grid,
                    second_order=dims == 2)


@needs_torch
@pytest.mark.parametrize("mode, padding, align, dims", SAMPLINGS, ids=IDS)
def test_grid_sample_matches_torch(mode, padding, align, dims):
    image, grid = _image_and_grid(dims, seed=2)
    assert_matches_torch(lambda x, g: F.grid_sample(x, g, mode, padding, align),
                         lambda x, g: torch.nn.functional.grid_sample(x, g, mode, padding, align), image, grid)


@needs_torch
@pytest.mark.parametrize("mode, padding, align, dims", SAMPLINGS, ids=IDS)
def test_grid_sample_awkward_points_match_torch(mode, padding, align, dims):
    """Grid points on the border (no gradient to the grid there), on pixel centres and halfway
    between them (nearest rounds halves to even), and far outside (reflection folds many times)."""
    size = (2, 2) + (3, 4, 3)[:dims]
    theta = np.zeros((2, dims, dims + 1))
    theta[:, :, :dims] = np.eye(dims)
    identity = torch.nn.functional.affine_grid(torch.from_numpy(theta), size, align).numpy()
    image = rand(*size, seed=3)
    for grid in (identity, np.round(identity * 8) / 8, rand(*identity.shape, seed=4, low=-7, high=7)):
        # on pixel centres the grid gradient is one-sided, its side set by the position's last bit
        # (see tinynn/ops/grid_sample.py); eighths are exact, so there both engines agree
        grid_gradient = grid is not identity or align
        assert_matches_torch(lambda x, g: F.grid_sample(x, g, mode, padding, align),
                             lambda x, g: torch.nn.functional.grid_sample(x, g, mode, padding, align), image, grid,
                             differentiable=[True, grid_gradient])


def test_grid_sample_identity_reproduces_the_image():
    for dims, align in itertools.product((2, 3), (False, True)):
        x = tinynn.tensor(rand(*((1, 2) + (3, 4, 2)[:dims]), seed=5))
        theta = tinynn.tensor(np.eye(dims, dims + 1)[None])
        grid = F.affine_grid(theta, x.shape, align_corners=align)
        for mode in ("bilinear", "nearest") + (("bicubic",) if dims == 2 else ()):
            np.testing.assert_allclose(F.grid_sample(x, grid, mode, align_corners=align).numpy(), x.numpy(),
                                       atol=1e-12)


def test_grid_sample_values():
    x = tinynn.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=tinynn.float64)
    centre = tinynn.zeros(1, 1, 1, 2, dtype=tinynn.float64)
    assert F.grid_sample(x, centre, align_corners=True).item() == 2.5     # the mean of the four pixels
    outside = tinynn.tensor([[[[3.0, 0.0]]]], dtype=tinynn.float64)
    assert F.grid_sample(x, outside, align_corners=True).item() == 0.0    # zeros padding
    assert F.grid_sample(x, outside, padding_mode="border", align_corners=True).item() == 3.0


def test_grid_gradient_is_zero_for_nearest_and_at_clamped_points():
    x = tinynn.tensor(rand(1, 1, 3, 3, seed=6))
    grid = tinynn.tensor([[[[0.3, -0.2], [2.5, 0.1]]]], dtype=tinynn.float64, requires_grad=True)
    F.grid_sample(x, grid, "nearest", align_corners=False).sum().backward()
    assert np.all(grid.grad.numpy() == 0)
    grid.grad = None
    F.grid_sample(x, grid, padding_mode="border", align_corners=False).sum().backward()
    assert grid.grad.numpy()[0, 0, 1, 0] == 0 and grid.grad.numpy()[0, 0, 0, 0] != 0


def test_grid_sample_errors_and_warning():
    x, grid = tinynn.ones(1, 1, 3, 3), tinynn.zeros(1, 2, 2, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, grid)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic', got 'area'"):
        F.grid_sample(x, grid, "area", align_corners=False)
    with pytest.raises(ValueError, match="padding_mode to be 'zeros', 'border' or 'reflection'"):
        F.grid_sample(x, grid, padding_mode="circular", align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(tinynn.ones(2, 1, 3, 3), grid, align_corners=False)
    with pytest.raises(RuntimeError, match="size 2 in its last dim"):
        F.grid_sample(x, tinynn.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="same number of dims"):
        F.grid_sample(x, tinynn.zeros(1, 2, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        F.grid_sample(x, grid.double(), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4-d input"):
        F.grid_sample(tinynn.ones(1, 1, 2, 2, 2), tinynn.zeros(1, 1, 1, 1, 3), "bicubic", align_corners=False)
    with pytest.raises(RuntimeError, match="non-empty spatial dims"):
        F.grid_sample(tinynn.ones(1, 1, 0, 3), grid, align_corners=False)


# ---------------------------------------------------------------------------- affine_grid
@pytest.mark.parametrize("dims, align", list(itertools.product((2, 3), (False, True))))
def test_affine_grid_gradcheck(dims, align):
    size = (2, 1) + (3, 2, 4)[:dims]
    check_gradients(lambda t: F.affine_grid(t, size, align), rand(2, dims, dims + 1, seed=7))


@needs_torch
@pytest.mark.parametrize("dims, align", list(itertools.product((2, 3), (False, True))))
def test_affine_grid_matches_torch(dims, align):
    for size in [(2, 1) + (3, 2, 4)[:dims], (2, 3) + (1, 5, 2)[:dims]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # the unit-size warning, on both sides
            assert_matches_torch(lambda t: F.affine_grid(t, size, align),
                                 lambda t: torch.nn.functional.affine_grid(t, size, align),
                                 rand(2, dims, dims + 1, seed=8))


def test_spatial_transformer_gradient_reaches_theta():
    """affine_grid + grid_sample, end to end: the gradient w.r.t. theta matches finite differences."""
    image = tinynn.tensor(rand(1, 1, 4, 5, seed=9))
    check_gradients(lambda t: F.grid_sample(image, F.affine_grid(t, (1, 1, 3, 3), False), align_corners=False),
                    rand(1, 2, 3, seed=10) * 0.5, second_order=False)


def test_affine_grid_errors_and_warnings():
    theta = tinynn.zeros(1, 2, 3)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(theta, (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="unit-size dimension"):
        F.affine_grid(theta, (1, 1, 1, 2), align_corners=True)
    with pytest.raises(ValueError, match="floating point dtype"):
        F.affine_grid(tinynn.zeros(1, 2, 3, dtype=tinynn.int64), (1, 1, 2, 2), False)
    with pytest.raises(ValueError, match="\\(1, 3, 4\\) for size \\[1, 1, 2, 2, 2\\], got theta of shape \\(1, 2, 3\\)"):
        F.affine_grid(theta, (1, 1, 2, 2, 2), False)
    with pytest.raises(NotImplementedError, match="4 \\(2-d transforms\\) or 5"):
        F.affine_grid(theta, (1, 1, 2), False)
    with pytest.raises(ValueError, match="positive output size"):
        F.affine_grid(theta, (1, 1, 0, 2), False)
