"""``tinynn.testing`` (torch.testing): assert_close with PyTorch's dtype tolerances."""
import numpy as np
import pytest

import tinynn
from tinynn.testing import assert_allclose, assert_close, make_tensor


def test_assert_close_uses_dtype_tolerances():
    x = tinynn.ones(3)
    assert_close(x, x + 1e-7)                                   # float32: rtol 1.3e-6
    with pytest.raises(AssertionError, match="Mismatched elements: 3 / 3"):
        assert_close(x, x + 1e-3)
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(x, x.double())
    assert_allclose(x, x.double())                              # the old form ignores dtypes
    d = tinynn.ones(3, dtype=tinynn.float64)
    with pytest.raises(AssertionError, match="not close"):
        assert_close(d, d + 1e-6)                               # float64: rtol 1e-7
    assert_close(tinynn.tensor([1, 2]), tinynn.tensor([1, 2]))
    with pytest.raises(AssertionError):
        assert_close(tinynn.tensor([1, 2]), tinynn.tensor([1, 3]))   # integers: exact
    assert_close({"a": [x, 2.0]}, {"a": [x, 2.0]})
    with pytest.raises(AssertionError, match="shape"):
        assert_close(x, tinynn.ones(2))
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(x, x, rtol=1e-3)
    assert_close(tinynn.tensor([float("nan")]), tinynn.tensor([float("nan")]), equal_nan=True)


def test_make_tensor_and_variable():
    t = make_tensor(3, 4, dtype=tinynn.float64, low=-1, high=1)
    assert t.shape == (3, 4) and t.dtype == tinynn.float64 and float(t.abs().max()) <= 1
    assert make_tensor((5,), dtype=tinynn.int64, exclude_zero=True).ne(0).all()
    v = tinynn.autograd.Variable(tinynn.ones(2), requires_grad=True)
    assert v.requires_grad and isinstance(v, tinynn.Tensor)
