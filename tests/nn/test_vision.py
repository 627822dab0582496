"""F.pad, F.interpolate (and the upsample aliases), F.pixel_shuffle/unshuffle (tinynn/nn/functional/vision.py):
float64 gradchecks (and second order) over every mode and non-default argument, PyTorch parity of
outputs and input gradients, PyTorch's index arithmetic checked over many sizes, and the errors."""
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

# ---------------------------------------------------------------------------- pad
# (pad, mode, input shape): constant pads any number of dims; the other modes 1, 2 or 3 dims of
# (un)batched input; negative entries crop
PADS = [
    ((1, 2), "constant", (2, 3)),
    ((2, 1, 1, 0, 0, 1), "constant", (2, 2, 2)),
    ((-1, 1, 0, 2), "constant", (2, 3, 3)),
    ((2, 3), "reflect", (2, 2, 4)),
    ((1, 0, 2, 1), "reflect", (2, 3, 4)),                 # unbatched 2-d
    ((1, 1, 2, 0, 1, 2), "reflect", (1, 2, 3, 3, 4)),
    ((-1, 3), "reflect", (1, 2, 5)),                      # crop one side, mirror the other
    ((3, 1), "replicate", (2, 2, 3)),
    ((2, 2, 1, 3), "replicate", (1, 2, 3, 3)),
    ((1, 2, 0, 1, 2, 1), "replicate", (2, 2, 3, 2)),      # unbatched 3-d
    ((-2, 2, 1, -1), "replicate", (1, 2, 4, 4)),
    ((2, 3), "circular", (2, 4)),                         # unbatched 1-d
    ((1, 2, 2, 1), "circular", (2, 2, 3, 4)),
    ((1, 1, 1, 2, 2, 0), "circular", (1, 1, 3, 3, 3)),
    ((2, -2, -1, 2), "circular", (1, 2, 4, 4)),           # crop first, then wrap what is left
]
PAD_IDS = [f"{m}{p}{s}" for p, m, s in PADS]


@pytest.mark.parametrize("pad, mode, shape", PADS, ids=PAD_IDS)
def test_pad_gradcheck(pad, mode, shape):
    check_gradients(lambda t: F.pad(t, pad, mode), rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("pad, mode, shape", PADS, ids=PAD_IDS)
def test_pad_matches_torch(pad, mode, shape):
    assert_matches_torch(lambda t: F.pad(t, pad, mode), lambda t: torch.nn.functional.pad(t, pad, mode),
                         rand(*shape, seed=2))


@needs_torch
def test_pad_random_geometries_match_torch():
    """Random shapes and pads (negative ones too), every mode: same values, or both refuse."""
    rng = np.random.default_rng(0)
    agreed = 0
    for mode in ("constant", "reflect", "replicate", "circular"):
        for _ in range(50):
            dims = int(rng.integers(1, 4))               # padded dims; the other modes need 1 or 2 more
            ndim = dims + int(rng.integers(1, 3)) if mode != "constant" else int(rng.integers(dims, 6))
            shape = tuple(int(s) for s in rng.integers(1, 5, ndim))
            pad = tuple(int(p) for p in rng.integers(-3, 4, 2 * dims))
            x = rng.standard_normal(shape)
            try:
                want = torch.nn.functional.pad(torch.from_numpy(x), pad, mode=mode).numpy()
            except (RuntimeError, NotImplementedError):
                want = None
            if want is None:
                with pytest.raises((RuntimeError, NotImplementedError)):
                    F.pad(tinynn.from_numpy(x), pad, mode=mode)
                continue
            try:
                got = F.pad(tinynn.from_numpy(x), pad, mode=mode).numpy()
            except RuntimeError as err:   # PyTorch reads unwritten memory there; tinynn refuses
                assert mode == "circular" and "more than once" in str(err)
                continue
            np.testing.assert_array_equal(got, want, err_msg=f"{mode} {pad} {shape}")
            agreed += 1
    assert agreed > 60     # (about half the random geometries are valid)


def test_pad_values():
    x = tinynn.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    assert F.pad(x, (2, 2), "reflect").tolist() == [[[3, 2, 1, 2, 3, 4, 3, 2]]]
    assert F.pad(x, (2, 2), "replicate").tolist() == [[[1, 1, 1, 2, 3, 4, 4, 4]]]
    assert F.pad(x, (2, 2), "circular").tolist() == [[[3, 4, 1, 2, 3, 4, 1, 2]]]
    assert F.pad(x, (1, -2), value=9.0).tolist() == [[[9, 1, 2]]]
    assert F.pad(x, (2, -2), "circular").tolist() == [[[1, 2, 1, 2]]]   # the two kept elements, wrapped
    ints = F.pad(tinynn.tensor([[1, 2]]), (1, 1), value=7.9)                # the value takes the dtype
    assert ints.dtype == tinynn.int64 and ints.tolist() == [[7, 1, 2, 7]]
    assert F.pad(tinynn.tensor([[1, 2, 3]]), (1, 1), "reflect").tolist() == [[2, 1, 2, 3, 2]]


def test_pad_gradient_adds_every_copy():
    x = tinynn.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    F.pad(x, (2, 2), "reflect").sum().backward()       # 3 2 | 1 2 3 | 2 1
    assert x.grad.tolist() == [[[2.0, 3.0, 2.0]]]
    x.grad = None
    F.pad(x, (0, 3), "replicate").sum().backward()
    assert x.grad.tolist() == [[[1.0, 1.0, 4.0]]]


def test_pad_errors():
    x = tinynn.ones(1, 2, 4)
    with pytest.raises(RuntimeError, match="must be smaller than the input size 4"):
        F.pad(x, (4, 0), "reflect")
    with pytest.raises(RuntimeError, match="more than once"):
        F.pad(x, (5, 0), "circular")
    with pytest.raises(RuntimeError, match="more than once"):
        F.pad(x, (3, -2), "circular")
    with pytest.raises(RuntimeError, match="padding length must be even"):
        F.pad(x, (1, 1, 1), "reflect")
    with pytest.raises(RuntimeError, match="at most 2 \\* ndim = 6"):
        F.pad(x, (1,) * 8)
    with pytest.raises(RuntimeError, match="crops more than the 4 elements"):
        F.pad(x, (-5, 1))
    with pytest.raises(NotImplementedError, match="4 values is not supported for a 2-d input"):
        F.pad(tinynn.ones(3, 4), (1, 1, 1, 1), "replicate")
    with pytest.raises(NotImplementedError, match="unrecognised padding mode 'mirror'"):
        F.pad(x, (1, 1), "mirror")
    with pytest.raises(RuntimeError, match="doesn't take a value"):
        F.pad(x, (1, 1), "reflect", value=1.0)
    with pytest.raises(RuntimeError, match="leaves no elements"):
        F.pad(x, (-2, -2), "replicate")
    with pytest.raises(RuntimeError, match="non-empty dimensions"):
        F.pad(tinynn.ones(1, 0, 4), (1, 1), "reflect")
    with pytest.raises(TypeError, match="tuple of ints"):
        F.pad(x, (1.0, 1))
    with pytest.raises(TypeError, match="expected a Tensor"):
        F.pad([1.0, 2.0], (1, 1))
    assert F.pad(x, (1, 1), "reflect", value=0).shape == (1, 2, 6)   # value 0 is accepted, as in PyTorch


# ---------------------------------------------------------------------------- interpolate
# (arguments, input shape): every mode, align_corners both ways, sizes up and down, scale factors
# with and without recompute_scale_factor
RESIZES = [
    (dict(scale_factor=2), (2, 2, 3)),
    (dict(size=5, mode="nearest"), (1, 2, 3, 4)),
    (dict(scale_factor=(1.7, 0.6)), (1, 2, 4, 5)),
    (dict(size=(2, 3, 4)), (1, 1, 3, 2, 3)),
    (dict(size=(3, 5), mode="nearest-exact"), (1, 2, 4, 3)),
    (dict(scale_factor=1.5, mode="nearest-exact"), (2, 1, 5)),
    (dict(size=7, mode="linear"), (2, 2, 4)),
    (dict(scale_factor=0.6, mode="linear", align_corners=True), (1, 2, 7)),
    (dict(size=(5, 3), mode="bilinear"), (2, 2, 3, 4)),
    (dict(scale_factor=1.7, mode="bilinear", align_corners=True), (1, 2, 3, 3)),
    (dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), (1, 2, 3, 3)),
    (dict(size=(5, 6), mode="bicubic"), (1, 2, 3, 4)),
    (dict(scale_factor=(0.7, 1.4), mode="bicubic", align_corners=True), (2, 1, 5, 4)),
    (dict(size=(3, 4, 2), mode="trilinear"), (1, 2, 2, 3, 3)),
    (dict(scale_factor=1.5, mode="trilinear", align_corners=True), (1, 1, 2, 2, 3)),
    (dict(size=3, mode="area"), (2, 2, 7)),
    (dict(size=(2, 4), mode="area"), (1, 2, 5, 6)),
    (dict(scale_factor=0.7, mode="area"), (1, 1, 3, 4, 5)),
]
RESIZE_IDS = [f"{','.join(f'{k}={v}' for k, v in kw.items())}:{shape}" for kw, shape in RESIZES]


@pytest.mark.parametrize("kwargs, shape", RESIZES, ids=RESIZE_IDS)
def test_interpolate_gradcheck(kwargs, shape):
    check_gradients(lambda t: F.interpolate(t, **kwargs), rand(*shape, seed=3))


@needs_torch
@pytest.mark.parametrize("kwargs, shape", RESIZES, ids=RESIZE_IDS)
def test_interpolate_matches_torch(kwargs, shape):
    assert_matches_torch(lambda t: F.interpolate(t, **kwargs), lambda t: torch.nn.functional.interpolate(t, **kwargs),
                         rand(*shape, seed=4))


@needs_torch
@pytest.mark.parametrize("mode, dims", [("nearest", 1), ("nearest", 2), ("nearest-exact", 2), ("linear", 1),
                                        ("bilinear", 2), ("bicubic", 2), ("area", 1)])
def test_interpolate_index_arithmetic_matches_torch(mode, dims):
    """Many size pairs and scale factors (the 2-d nearest kernel's shortcuts, the same-size copy of
    linear, scale factors whose size rounds down): the same pixels with the same weights, in float64
    and float32 (where PyTorch computes the positions in float32)."""
    rng = np.random.default_rng(5)
    for n_in in (1, 3, 5, 8):
        for kwargs in [dict(size=n) for n in (1, 2, 5, 9, 16)] + \
                      [dict(scale_factor=s, recompute_scale_factor=r) for s in (0.6, 1.1, 2.0, 2.05, 3.3)
                       for r in (None, True)]:
            if int(n_in * kwargs.get("scale_factor", 1)) < 1:
                continue
            if mode not in ("nearest", "nearest-exact", "area"):
                kwargs["align_corners"] = bool(rng.integers(2))
            for dtype in (np.float64, np.float32):
                x = rng.standard_normal((1, 2) + (n_in,) * dims).astype(dtype)
                want = torch.nn.functional.interpolate(torch.from_numpy(x), mode=mode, **kwargs).numpy()
                got = F.interpolate(tinynn.from_numpy(x), mode=mode, **kwargs).numpy()
                tol = 1e-12 if dtype == np.float64 else 1e-5
                np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{n_in} {kwargs} {dtype}")


def test_interpolate_values():
    x = tinynn.tensor([[[1.0, 2.0, 4.0]]])
    assert F.interpolate(x, scale_factor=2).tolist() == [[[1, 1, 2, 2, 4, 4]]]
    assert F.interpolate(x, size=5, mode="linear", align_corners=True).tolist() == [[[1, 1.5, 2, 3, 4]]]
    assert F.interpolate(x, size=1, mode="area").item() == pytest.approx(7 / 3)
    y = F.interpolate(x, size=6, mode="linear")                      # half-pixel centres
    np.testing.assert_allclose(y.numpy(), [[[1, 1.25, 1.75, 2.5, 3.5, 4]]])
    ints = F.interpolate(tinynn.tensor([[[1, 2]]]), scale_factor=2)  # nearest copies any dtype
    assert ints.dtype == tinynn.int64 and ints.tolist() == [[[1, 1, 2, 2]]]


def test_interpolate_float32_stays_float32():
    x = tinynn.randn(1, 2, 3, 4)
    for mode in ("nearest", "bilinear", "bicubic", "area"):
        assert F.interpolate(x, size=(5, 2), mode=mode).dtype == tinynn.float32


def test_interpolate_errors():
    x = tinynn.ones(1, 1, 2, 4)
    with pytest.raises(ValueError, match="align_corners can only be set with the interpolating modes"):
        F.interpolate(x, size=3, align_corners=False)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="not both"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="2 spatial dims \\[2, 4\\] but size \\[3\\] has 1"):
        F.interpolate(x, size=[3])
    with pytest.raises(ValueError, match="scale_factor \\[2, 2, 2\\] has 3"):
        F.interpolate(x, scale_factor=[2, 2, 2])
    with pytest.raises(TypeError, match="size must be an int or a tuple of ints"):
        F.interpolate(x, size=(3.0, 2))
    with pytest.raises(NotImplementedError, match="got 3-d input, but bilinear mode needs 4-d input"):
        F.interpolate(x[0], size=3, mode="bilinear")
    with pytest.raises(NotImplementedError, match="mode='cubic'"):
        F.interpolate(x, size=3, mode="cubic")
    with pytest.raises(NotImplementedError, match="got 2-d input"):
        F.interpolate(x[0, 0], size=3)
    with pytest.raises(RuntimeError, match="sizes must be greater than 0"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="antialias=True is not implemented"):
        F.interpolate(x, size=3, mode="bilinear", antialias=True)
    with pytest.raises(ValueError, match="antialias is for the bilinear and bicubic modes"):
        F.interpolate(x, size=3, antialias=True)
    with pytest.raises(NotImplementedError, match="needs a floating-point input"):
        F.interpolate(tinynn.ones(1, 1, 2, 2, dtype=tinynn.int64), size=3, mode="bilinear")


def test_upsample_aliases_warn_and_match_interpolate():
    x = tinynn.tensor(rand(1, 2, 3, 3, seed=6))
    for alias, expected in [(lambda: F.upsample(x, size=4, mode="bilinear"),
                             F.interpolate(x, size=4, mode="bilinear", align_corners=False)),
                            (lambda: F.upsample_nearest(x, scale_factor=2), F.interpolate(x, scale_factor=2)),
                            (lambda: F.upsample_bilinear(x, size=5),
                             F.interpolate(x, size=5, mode="bilinear", align_corners=True))]:
        with pytest.warns(UserWarning, match="deprecated"):
            out = alias()
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


# ---------------------------------------------------------------------------- pixel shuffle
@pytest.mark.parametrize("shape, r", [((2, 8, 2, 3), 2), ((9, 2, 2), 3), ((2, 1, 4, 2, 2), 2)])
def test_pixel_shuffle_gradcheck_and_inverse(shape, r):
    x = rand(*shape, seed=7)
    check_gradients(lambda t: F.pixel_shuffle(t, r), x)
    check_gradients(lambda t: F.pixel_unshuffle(t, r), rand(*shape[:-3], shape[-3], shape[-2] * r, shape[-1] * r))
    t = tinynn.tensor(x)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(t, r), r).numpy(), x)


@needs_torch
@pytest.mark.parametrize("shape, r", [((2, 8, 2, 3), 2), ((9, 2, 2), 3), ((2, 1, 4, 2, 2), 2)])
def test_pixel_shuffle_matches_torch(shape, r):
    assert_matches_torch(lambda t: F.pixel_shuffle(t, r), lambda t: torch.nn.functional.pixel_shuffle(t, r),
                         rand(*shape, seed=8))
    big = rand(*shape[:-3], shape[-3], shape[-2] * r, shape[-1] * r, seed=9)
    assert_matches_torch(lambda t: F.pixel_unshuffle(t, r), lambda t: torch.nn.functional.pixel_unshuffle(t, r), big)


def test_pixel_shuffle_layout():
    x = tinynn.arange(8).reshape(1, 4, 1, 2)          # channel block (i, j) -> sub-pixel (i, j)
    assert F.pixel_shuffle(x, 2).tolist() == [[[[0, 2, 1, 3], [4, 6, 5, 7]]]]


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match="channel dim 5 .* not divisible by upscale_factor\\^2 = 4"):
        F.pixel_shuffle(tinynn.ones(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dims"):
        F.pixel_shuffle(tinynn.ones(4, 2), 2)
    with pytest.raises(RuntimeError, match="must be positive"):
        F.pixel_shuffle(tinynn.ones(1, 4, 2, 2), 0)
    with pytest.raises(RuntimeError, match="divisible by downscale_factor 2"):
        F.pixel_unshuffle(tinynn.ones(1, 1, 3, 4), 2)
    with pytest.raises(TypeError, match="must be an int"):
        F.pixel_shuffle(tinynn.ones(1, 4, 2, 2), 2.0)


def test_no_warnings_from_plain_calls():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.interpolate(tinynn.ones(1, 1, 2, 2), scale_factor=2, mode="bilinear")
        F.pad(tinynn.ones(1, 1, 2, 2), (1, 1, 1, 1), "replicate")
