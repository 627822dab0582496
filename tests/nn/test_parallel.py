"""``tinynn.nn.parallel``: DataParallel on one device, DistributedDataParallel where PyTorch has it."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.nn.parallel import DataParallel, DistributedDataParallel, data_parallel


def test_data_parallel_is_the_module_with_pytorchs_names():
    tinynn.manual_seed(0)
    inner = nn.Linear(3, 2)
    wrapped = nn.DataParallel(inner, device_ids=[0])
    x = tinynn.randn(4, 3)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), inner(x).detach().numpy())
    assert wrapped.module is inner and list(wrapped.state_dict()) == ["module.weight", "module.bias"]
    np.testing.assert_array_equal(data_parallel(inner, x).detach().numpy(), inner(x).detach().numpy())
    assert DistributedDataParallel is tinynn.distributed.DistributedDataParallel
    assert DataParallel is nn.DataParallel


def test_data_parallel_refuses_several_devices_and_non_modules():
    with pytest.raises(RuntimeError, match="one device at a time"):
        DataParallel(nn.Linear(1, 1), device_ids=[0, 1])
    with pytest.raises(TypeError, match="nn.Module"):
        DataParallel(lambda x: x)
