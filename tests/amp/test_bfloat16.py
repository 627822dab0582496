"""bfloat16 emulation: bit for bit PyTorch's float32 -> bfloat16 conversion (ties, subnormals,
overflow to inf, inf, NaN), the identity gradient of a cast, and bfloat16's finfo."""
import numpy as np
import pytest

import tinynn
from tinynn.amp import bfloat16_finfo, round_to_bfloat16
from tests.helpers import needs_torch, torch


def _awkward_float32_values() -> np.ndarray:
    rng = np.random.default_rng(0)
    random_bits = rng.integers(0, 2**32, size=20000, dtype=np.uint64).astype(np.uint32)
    ties = np.array([0x3F808000, 0x3F818000, 0xBF808000, 0x00008000, 0x00018000], dtype=np.uint32)  # exact halfway
    near_max = np.array([0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0xFF7FFFFF], dtype=np.uint32)        # round up to inf
    special = np.array([0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0, 0x80000000, 1],
                       dtype=np.uint32)                                                           # inf, NaNs, zeros, subnormal
    return np.concatenate([random_bits, ties, near_max, special]).view(np.float32)


@needs_torch
def test_rounding_is_bit_for_bit_torch_bfloat16():
    x = _awkward_float32_values()
    ours = round_to_bfloat16(tinynn.tensor(x)).cpu().numpy().view(np.uint32)
    theirs = torch.from_numpy(x.copy()).to(torch.bfloat16).float().cpu().numpy().view(np.uint32)
    # NaN stays NaN; its bits are not meaningful (PyTorch's vectorized CPU conversion writes 0xFFFF,
    # its scalar one 0x7FC0, tinynn 0x7FC0), so NaNs compare as NaN, everything else bit for bit
    nan = np.isnan(x)
    np.testing.assert_array_equal(np.isnan(ours.view(np.float32)), nan)
    ours, theirs = ours[~nan], theirs[~nan]
    mismatch = np.flatnonzero(ours != theirs)
    assert mismatch.size == 0, f"{mismatch.size} values differ: {ours[mismatch[:3]]} vs {theirs[mismatch[:3]]}"


@needs_torch
def test_float64_and_float16_inputs_round_like_torch_and_keep_their_dtype():
    x = np.random.default_rng(1).standard_normal(1000) * 10.0 ** np.random.default_rng(2).integers(-6, 4, 1000)
    ours = round_to_bfloat16(tinynn.tensor(x))
    assert ours.dtype == tinynn.float64
    np.testing.assert_array_equal(ours.cpu().numpy(), torch.from_numpy(x).to(torch.bfloat16).double().cpu().numpy())
    h = x.astype(np.float16)
    ours16 = round_to_bfloat16(tinynn.tensor(h))
    assert ours16.dtype == tinynn.float16
    np.testing.assert_array_equal(ours16.cpu().numpy(), torch.from_numpy(h).to(torch.bfloat16).half().cpu().numpy())


def test_known_values_range_and_precision():
    x = tinynn.tensor([1.0, 1.0 + 2**-8, 1.0 + 3 * 2**-8, 1.0 + 2**-9, 3.3e38, 65504.0 * 4, 1e-30])
    y = round_to_bfloat16(x).cpu().numpy()
    # ties to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 -> 1; 1 + 3*2^-8 -> 1 + 2^-6 (even)
    assert y[0] == 1.0 and y[1] == 1.0 and y[2] == 1.0 + 2**-6 and y[3] == 1.0
    assert np.isfinite(y[4]) and y[5] == 262144.0               # far beyond float16's 65504, no overflow
    assert abs(y[6] - 1e-30) / 1e-30 < 2**-8                     # float16 flushes 1e-30 to zero
    assert float(tinynn.tensor([1e-30]).half()) == 0.0


def test_gradient_passes_straight_through_and_errors():
    x = tinynn.tensor([0.1, 2.7, -3.3], requires_grad=True)
    (round_to_bfloat16(x) * tinynn.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="floating tensor, got int64"):
        round_to_bfloat16(tinynn.tensor([1, 2]))
    with pytest.raises(TypeError, match="expected a Tensor"):
        round_to_bfloat16([1.0])


@needs_torch
def test_finfo_matches_torch():
    info = torch.finfo(torch.bfloat16)
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(bfloat16_finfo, field) == getattr(info, field), field


@needs_torch
def test_bfloat16_dtype_rounds_like_pytorchs_casts():
    values = np.array([1.001, 3.14159, -2.5e-3, 65504.0, 1e30, np.inf], dtype=np.float32)
    expected = torch.tensor(values).to(torch.bfloat16).float().numpy()
    np.testing.assert_array_equal(tinynn.tensor(values).to(tinynn.bfloat16).numpy(), expected)
    np.testing.assert_array_equal(tinynn.tensor(values).bfloat16().numpy(), expected)
    np.testing.assert_array_equal(tinynn.tensor(values, dtype=tinynn.bfloat16).numpy(), expected)
    np.testing.assert_array_equal(tinynn.full((2,), 3.14159, dtype=tinynn.bfloat16).numpy(), expected[[1, 1]])
    layer = tinynn.nn.Linear(3, 2).to(tinynn.bfloat16)
    weight = layer.weight.detach().numpy()
    np.testing.assert_array_equal(weight, torch.tensor(weight).to(torch.bfloat16).float().numpy())


def test_bfloat16_is_an_emulated_dtype_with_pytorchs_limits():
    assert repr(tinynn.bfloat16) == "tinynn.bfloat16"
    info = tinynn.finfo(tinynn.bfloat16)
    assert (info.bits, info.eps, info.tiny) == (16, 2.0**-7, 2.0**-126)
    assert tinynn.zeros(2, dtype=tinynn.bfloat16).dtype == tinynn.float32   # float32 storage (documented)
    x = tinynn.tensor([1.001], requires_grad=True)
    x.to(tinynn.bfloat16).sum().backward()
    assert x.grad.tolist() == [1.0]                                         # a cast passes the gradient through


@needs_torch
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_finfo_and_iinfo_match_torch(dtype):
    ours, theirs = tinynn.finfo(getattr(tinynn, dtype)), torch.finfo(getattr(torch, dtype))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        a, b = tinynn.iinfo(getattr(tinynn, name)), torch.iinfo(getattr(torch, name))
        assert (a.bits, a.max, a.min) == (b.bits, b.max, b.min)
    bf_ours, bf_theirs = tinynn.finfo(tinynn.bfloat16), torch.finfo(torch.bfloat16)
    for field in ("bits", "eps", "max", "min", "tiny", "resolution"):
        assert getattr(bf_ours, field) == getattr(bf_theirs, field), field
    with pytest.raises(TypeError, match="integer dtype"):
        tinynn.iinfo(tinynn.float32)
