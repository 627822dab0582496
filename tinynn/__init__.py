"""tinynn: a deep-learning engine written from scratch on NumPy, for learning how deep learning works.

It speaks PyTorch's API: ``import tinynn as torch`` runs PyTorch code written for the subset tinynn
implements. Start at ``Tensor`` (tensor.py), the graph engine (autograd/) and the ops (ops/).
"""
from . import backend, dtypes

backend.keep_freed_memory()  # avoids thousands of page faults per training step (see backend.py)
from .dtypes import (  # noqa: F401
    bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8, int16, int32,
    int64, long, set_default_dtype, short, uint8,
)
from .backend import device, get_default_device, set_default_device  # noqa: F401
from .tensor import Tensor  # noqa: F401
from . import ops  # noqa: F401  (attaches the Tensor methods)
from .ops import *  # noqa: F401,F403
from .ops.convert import clone  # noqa: F401
from . import autograd  # noqa: F401
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .creation import (  # noqa: F401
    arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
    linspace, logspace, meshgrid, normal, ones, ones_like, rand, rand_like, randint, randint_like,
    randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: F401
from .printing import set_printoptions  # noqa: F401
from . import cuda  # noqa: F401
from . import nn, optim, utils  # noqa: F401,E402
from . import amp  # noqa: F401,E402
from .amp import autocast  # noqa: F401,E402  (torch.autocast)
from .serialization import load, save  # noqa: F401,E402

__version__ = "0.1.0"


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> "int":
    return t.numel()


def is_floating_point(t: Tensor) -> "bool":
    return t.is_floating_point()
