"""autocast on the GPU: each op's dtype inside ``autocast("cuda")`` against PyTorch's CUDA autocast
(float16), on the cases of tests/amp/test_autocast.py. Needs a GPU with CuPy and a CUDA PyTorch."""
import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tinynn.amp import autocast
from tests.amp.test_autocast import CASES
from tests.helpers import rand, torch

needs_torch_cuda = pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                                      reason="needs PyTorch with CUDA to compare against")


def _dtype_on_gpu(module, functional, inputs, call):
    x = rand(4, 4, seed=0).astype(np.float32)
    w = rand(4, 4, seed=1).astype(np.float32)
    if module is tinynn:
        before = tinynn.get_default_device()
        tinynn.set_default_device("cuda")   # the cases create some tensors themselves
        try:
            a, b = (tinynn.tensor(v).to(getattr(tinynn, inputs)) for v in (x, w))
            with autocast("cuda"):
                return _outcome(lambda: call(tinynn, functional, a, b))
        finally:
            tinynn.set_default_device(before)
    with torch.device("cuda"):
        a, b = (torch.tensor(v).to(getattr(torch, inputs)) for v in (x, w))
        with torch.autocast("cuda", dtype=torch.float16):
            return _outcome(lambda: call(torch, functional, a, b)).replace("torch.", "")


def _outcome(run) -> str:
    """The result's dtype, or "error" when autocast refuses the op (binary_cross_entropy on CUDA)."""
    try:
        return str(run().dtype)
    except RuntimeError as err:
        assert "unsafe to autocast" in str(err), err
        return "error"


@pytest.mark.cuda
@needs_torch_cuda
@pytest.mark.parametrize("name, call", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("inputs", ["float32", "float16"])
def test_op_dtypes_match_torch_cuda_autocast(name, call, inputs):
    ours = _dtype_on_gpu(tinynn, F, inputs, call)
    theirs = _dtype_on_gpu(torch, torch.nn.functional, inputs, call)
    assert ours == theirs, f"{name} on {inputs} inputs: tinynn {ours}, PyTorch {theirs}"
