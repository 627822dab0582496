"""nn.utils.skip_init (tinynn/nn/utils/init.py): builds the module (tinynn has no meta device) and
keeps PyTorch's requirement that the class take a ``device`` argument."""
import pytest

import tinynn.nn as nn
from tinynn.nn.utils import skip_init


def test_skip_init_builds_the_module():
    m = skip_init(nn.Linear, 3, 4, bias=False, device="cpu")
    assert isinstance(m, nn.Linear) and tuple(m.weight.shape) == (4, 3) and m.bias is None


def test_skip_init_errors():
    with pytest.raises(RuntimeError, match="must support a 'device' arg"):
        skip_init(nn.Sequential)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        skip_init(int)
