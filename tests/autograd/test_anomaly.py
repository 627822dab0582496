"""detect_anomaly: backward stops at the first op producing NaN/inf and says where it was made."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import detect_anomaly
from tests.helpers import leaf


def make_nan_gradient(x):
    return (x * 0).sqrt()  # sqrt'(0) = inf, times 0 upstream ... -> nan/inf gradient


def test_anomaly_names_the_op_and_the_line_that_made_it():
    x = leaf(np.array([1.0, 2.0]))
    with detect_anomaly():
        y = make_nan_gradient(x).sum()
        with pytest.raises(RuntimeError) as info:
            y.backward()
    message = str(info.value)
    assert "SqrtBackward" in message
    assert "make_nan_gradient" in message  # the user code that created the op
    assert "test_anomaly.py" in message


def test_without_anomaly_mode_nan_flows_silently():
    x = leaf(np.array([1.0, 2.0]))
    make_nan_gradient(x).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_anomaly_mode_is_restored():
    with detect_anomaly():
        assert tinynn.autograd.is_anomaly_enabled()
    assert not tinynn.autograd.is_anomaly_enabled()


def test_set_detect_anomaly_sets_at_once_and_restores_on_leaving_a_with_block():
    # as PyTorch: the call switches the mode at once; used as a context manager it also restores it
    enabled = tinynn.autograd.is_anomaly_enabled
    assert not enabled()
    tinynn.autograd.set_detect_anomaly(True)
    assert enabled()
    tinynn.autograd.set_detect_anomaly(False)
    assert not enabled()
    with tinynn.autograd.set_detect_anomaly(True):
        assert enabled()
    assert not enabled()
    with detect_anomaly():
        assert enabled()
        with tinynn.autograd.set_detect_anomaly(False):
            assert not enabled()
        assert enabled()
    assert not enabled()
