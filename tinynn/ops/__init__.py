"""tinynn's differentiable operations, grouped by kind; each op's forward and backward sit together.

``arithmetic``  + - * / ** maximum clamp ...      ``unary``     exp log sqrt tanh sigmoid erf ...
``reduce``      sum mean max var softmax ...      ``shape``     reshape view permute expand ...
``join``        cat stack split chunk unbind      ``rearrange`` repeat flip roll triu
``padding``     constant reflect replicate circular  ``resample`` interpolation, one axis at a time
``fold``        sliding windows (unfold, fold)    ``grid_sample`` sampling at arbitrary points
``indexing``    index_select where masked_fill    ``sorting``   sort argsort topk kthvalue
``linalg``      matmul einsum outer               ``convert``   clone, dtype and device casts
(torch.linalg: ``triangular`` ``decompositions`` ``spectral`` ``solvers`` ``least_squares`` ``norms``
``matrix_functions`` ``tensor_products``; see tinynn/linalg/__init__.py)
``compare``     == < isnan any all (no gradient)
``trig``        sinh cosh asin acos atanh ...     ``binary``    atan2 logaddexp copysign hypot << >>
``product``     prod cumprod                      ``scan``      cummax cummin logcumsumexp
``scatter``     gather scatter scatter_add        ``scatter_reduce``  sum prod mean amax amin
``index_ops``   index_add index_copy take put     ``getitem``   x[key], x[key] = v (``index_key``: the rules)
``diagonal``    diag diagonal diag_embed trace    ``unique``    unique unique_consecutive
``bucketize``   searchsorted histc bincount count_nonzero
"""
from .arithmetic import *  # noqa: F401,F403
from .minmax import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .convert import clone, to_device, to_dtype  # noqa: F401
from .indexing import *  # noqa: F401,F403
from .scatter import *  # noqa: F401,F403
from .scatter_reduce import *  # noqa: F401,F403
from .index_ops import *  # noqa: F401,F403  (index_add index_copy index_fill masked_scatter take put)
from .join import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .decompositions import *  # noqa: F401,F403  (torch.cholesky, qr; more in tinynn/linalg/)
from .spectral import *  # noqa: F401,F403  (torch.svd)
from .solvers import *  # noqa: F401,F403  (inverse det logdet slogdet)
from .least_squares import *  # noqa: F401,F403  (pinverse)
from .matrix_functions import *  # noqa: F401,F403  (matrix_power matrix_exp)
from .tensor_products import *  # noqa: F401,F403  (kron tensordot cross block_diag cartesian_prod)
from .norms import *  # noqa: F401,F403  (cdist)
from .rearrange import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .unary import *  # noqa: F401,F403
from .trig import *  # noqa: F401,F403  (sinh cosh asin acos asinh acosh atanh)
from .binary import *  # noqa: F401,F403  (atan2 logaddexp copysign hypot bit shifts)
from .product import *  # noqa: F401,F403  (prod cumprod)
from .scan import *  # noqa: F401,F403  (cummax cummin logcumsumexp)
from .unique import *  # noqa: F401,F403
from .diagonal import *  # noqa: F401,F403  (diag diagonal diag_embed trace)
from .bucketize import *  # noqa: F401,F403  (bucketize searchsorted histc bincount count_nonzero)
from .gamma import *  # noqa: F401,F403  (lgamma digamma polygamma)
from .erfinv import *  # noqa: F401,F403

import sys as _sys  # noqa: E402
from .numpy_names import accept_numpy_names as _accept_numpy_names  # noqa: E402

# x.sum(axis=0), tinynn.argmax(x, axis=1, keepdims=True): NumPy's names, as PyTorch's parser takes them
_accept_numpy_names([m for name, m in list(_sys.modules.items()) if name.startswith(__name__ + ".")], globals())
from . import methods  # noqa: F401,E402  (attaches the Tensor methods and operators)
