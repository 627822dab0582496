"""tinynn: a deep-learning engine written from scratch on NumPy, for learning how deep learning works.

It speaks PyTorch's API: ``import tinynn as torch`` runs PyTorch code written for the subset tinynn
implements. Start at ``Tensor`` (tensor.py), the graph engine (autograd/) and the ops (ops/).
"""
from . import backend, dtypes

backend.keep_freed_memory()  # avoids thousands of page faults per training step (see backend.py)
backend.silence_float_warnings_in_ops()  # log(0) = -inf without a NumPy warning, as in PyTorch
from .dtypes import (  # noqa: F401
    bfloat16, bool, can_cast, double, finfo, float, float16, float32, float64, get_default_dtype, half, iinfo,
    int, int8, int16, int32, int64, long, promote_types, set_default_dtype, short, uint8, uint16, uint32, uint64,
)
from .backend import device, get_default_device, set_default_device  # noqa: F401
from .tensor import Tensor  # noqa: F401
from . import ops  # noqa: F401  (attaches the Tensor methods)
from .ops import *  # noqa: F401,F403
from .ops.convert import clone  # noqa: F401
from . import autograd  # noqa: F401
from .autograd import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .creation import (  # noqa: F401
    arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
    linspace, logspace, meshgrid, normal, ones, ones_like, rand, rand_like, randint, randint_like,
    randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: F401
from .printing import set_printoptions  # noqa: F401
from . import cuda  # noqa: F401
from . import nn, optim, utils  # noqa: F401,E402
from . import linalg  # noqa: F401,E402  (torch.linalg)
from . import amp  # noqa: F401,E402
from .amp import autocast  # noqa: F401,E402  (torch.autocast)
from . import sparse  # noqa: F401,E402  (torch.sparse)
from . import distributions  # noqa: F401,E402  (torch.distributions)
from . import special  # noqa: F401,E402  (torch.special)
from .nn.functional import cosine_similarity, pairwise_distance  # noqa: F401,E402  (torch.* aliases of F's)
from .sparse import (  # noqa: F401,E402
    layout, sparse_bsc, sparse_bsr, sparse_coo, sparse_coo_tensor, sparse_csc, sparse_csr, spmm, strided,
)
from .serialization import load, save  # noqa: F401,E402
from . import deploy  # noqa: F401,E402  (deployment checkpoints: weights + what rebuilds the model)
from . import backends, onnx, testing  # noqa: F401,E402  (torch.backends, torch.onnx, torch.testing)
from . import func, hub  # noqa: F401,E402  (torch.func, torch.hub)
from .settings import (  # noqa: F401,E402
    are_deterministic_algorithms_enabled, compile, get_float32_matmul_precision, get_num_interop_threads,
    get_num_threads, is_deterministic_algorithms_warn_only_enabled, set_float32_matmul_precision,
    set_num_interop_threads, set_num_threads, use_deterministic_algorithms,
)
from .creation import Size, broadcast_shapes  # noqa: F401,E402
from .tensor_types import (  # noqa: F401,E402  (the legacy typed constructors)
    BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor,
)

from numpy import dtype  # noqa: F401,E402  (isinstance(x.dtype, tinynn.dtype): tinynn's dtypes are NumPy's)

__version__ = "0.1.0"


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> "int":
    return t.numel()


def is_floating_point(t: Tensor) -> "bool":
    return t.is_floating_point()


def is_nonzero(t: Tensor) -> "bool":
    """Whether a one-element tensor is nonzero (PyTorch's error for any other size)."""
    if t.numel() != 1:
        raise RuntimeError(f"is_nonzero: a Tensor with {t.numel()} elements cannot be converted to a boolean")
    return t.item() != 0


def typename(obj) -> str:
    """PyTorch's type name: 'torch.FloatTensor' for a float32 tensor, else the Python type's name."""
    if isinstance(obj, Tensor):
        return obj.type().replace("tinynn.", "torch.", 1)
    return type(obj).__module__ + "." + type(obj).__qualname__ if type(obj).__module__ != "builtins" else type(obj).__name__
