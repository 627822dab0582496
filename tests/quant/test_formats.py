"""The number formats and 4-bit packing: NF4's levels derived as the QLoRA paper does, pack/unpack."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn.quant import NF4_LEVELS, NF4_PUBLISHED, int4_levels, nf4_levels, pack_4bit, unpack_4bit


def test_nf4_levels_match_the_published_table():
    levels = nf4_levels()
    assert levels.shape == (16,)
    np.testing.assert_allclose(levels, NF4_PUBLISHED, atol=2e-7)   # bitsandbytes computed them in float32
    assert levels[0] == -1.0 and levels[-1] == 1.0 and levels[7] == 0.0
    assert np.all(np.diff(levels) > 0)
    assert (levels > 0).sum() == 8 and (levels < 0).sum() == 7   # asymmetric, so zero is exact
    np.testing.assert_array_equal(NF4_LEVELS, levels)


def test_nf4_levels_are_normal_quantiles():
    """Each positive level (before normalising) is the normal quantile of its probability."""
    from statistics import NormalDist

    offset = 0.9
    levels = nf4_levels(offset)
    top = NormalDist().inv_cdf(offset)
    probabilities = np.linspace(offset, 0.5, 9)[:-1]
    expected = sorted(NormalDist().inv_cdf(p) / top for p in probabilities)
    np.testing.assert_allclose(levels[8:], expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"offset must lie in \(0.5, 1\)"):
        nf4_levels(1.0)


def test_int4_levels():
    np.testing.assert_array_equal(int4_levels(), np.arange(-8, 8))


def test_pack_unpack_round_trip_and_layout():
    codes = np.array([1, 2, 15, 0, 7, 8], dtype=np.uint8)
    packed = pack_4bit(codes)
    np.testing.assert_array_equal(packed, [0x12, 0xF0, 0x78])   # the first code in the high nibble
    assert packed.dtype == np.uint8 and packed.nbytes == 3
    np.testing.assert_array_equal(unpack_4bit(packed), codes)
    np.testing.assert_array_equal(unpack_4bit(packed, 5), codes[:5])
    t = pack_4bit(tinynn.tensor(codes))                           # Tensors in, Tensors out
    assert isinstance(t, tinynn.Tensor) and t.dtype == tinynn.uint8 and t.nbytes == 3
    np.testing.assert_array_equal(unpack_4bit(t).numpy(), codes)


def test_pack_round_trips_all_pairs():
    codes = np.array([(a, b) for a in range(16) for b in range(16)], dtype=np.uint8).reshape(-1)
    packed = pack_4bit(codes)
    assert sorted(packed.tolist()) == list(range(256))           # every byte value used once
    np.testing.assert_array_equal(unpack_4bit(packed), codes)


def test_pack_errors():
    with pytest.raises(ValueError, match="codes must lie in 0..15"):
        pack_4bit(np.array([3, 16], dtype=np.uint8))
    with pytest.raises(ValueError, match="even number of codes"):
        pack_4bit(np.array([1, 2, 3], dtype=np.uint8))
    with pytest.raises(TypeError, match="integer codes"):
        pack_4bit(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="uint8"):
        unpack_4bit(np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError, match="n must lie in 0..4"):
        unpack_4bit(np.array([1, 2], dtype=np.uint8), 5)
    with pytest.raises(TypeError, match="expected a Tensor or an array"):
        pack_4bit([1, 2])
