"""tinynn's differentiable operations, grouped by kind; each op's forward and backward sit together.

``arithmetic``  + - * / ** maximum clamp ...      ``unary``     exp log sqrt erf abs round ...
``activation``  sigmoid tanh relu gelu silu elu ... (tinynn.nn.functional's activations)
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
``gamma`` ``erfinv`` ``normal_cdf`` ``bessel`` ``special_elementwise``: the special functions (tinynn.special)
``order_stats`` median nanmedian mode aminmax msort  ``quantile``  quantile nanquantile
``pointwise``   clamp_min deg2rad sgn heaviside gcd  ``floating_point``  nan_to_num frexp ldexp float_power
``stacking``    atleast_2d dstack hsplit tile rot90  ``index_sets``  tril_indices combinations isin argwhere
``numerical``   diff trapezoid vander                ``batched_products``  addmv addr baddbmm addbmm
``distances``   dist pdist renorm
The layers' fused ops (called by tinynn.nn.functional): ``linear`` ``conv`` ``pool`` ``normalization``
(batch, layer, group, instance and RMS norm) ``loss`` ``attention`` ``recurrent`` ``embedding`` ``ctc``.
``tensor_math`` gives these ops NumPy's names, for a formula that runs on arrays and on Tensors alike.
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
from .activation import *  # noqa: F401,F403  (sigmoid tanh relu)
from .statistics import *  # noqa: F401,F403  (var std cov corrcoef nanmean)
from .trig import *  # noqa: F401,F403  (sinh cosh asin acos asinh acosh atanh)
from .binary import *  # noqa: F401,F403  (atan2 logaddexp copysign hypot bit shifts)
from .product import *  # noqa: F401,F403  (prod cumprod)
from .scan import *  # noqa: F401,F403  (cummax cummin logcumsumexp)
from .unique import *  # noqa: F401,F403
from .diagonal import *  # noqa: F401,F403  (diag diagonal diag_embed trace)
from .bucketize import *  # noqa: F401,F403  (bucketize searchsorted histc bincount count_nonzero)
from .gamma import *  # noqa: F401,F403  (lgamma digamma polygamma)
from .erfinv import *  # noqa: F401,F403
# area 10: special functions (tinynn.special has the rest), order statistics, NumPy-style helpers
from .normal_cdf import *  # noqa: F401,F403  (erfc; ndtr log_ndtr ndtri in tinynn.special)
from .bessel import *  # noqa: F401,F403  (i0; i0e i1 i1e in tinynn.special)
from .special_elementwise import *  # noqa: F401,F403  (logit xlogy sinc mvlgamma)
from .order_stats import *  # noqa: F401,F403  (median nanmedian mode aminmax msort)
from .quantile import *  # noqa: F401,F403  (quantile nanquantile)
from .pointwise import *  # noqa: F401,F403  (clamp_min clamp_max deg2rad rad2deg sgn heaviside gcd lcm)
from .floating_point import *  # noqa: F401,F403  (nan_to_num signbit frexp ldexp nextafter float_power)
from .stacking import *  # noqa: F401,F403  (atleast_nd dstack column_stack hsplit tile rot90 ravel ...)
from .index_sets import *  # noqa: F401,F403  (tril_indices triu_indices combinations isin argwhere)
from .numerical import *  # noqa: F401,F403  (diff trapezoid cumulative_trapezoid vander)
from .batched_products import *  # noqa: F401,F403  (addbmm baddbmm addmv addr)
from .distances import *  # noqa: F401,F403  (dist pdist renorm)

import sys as _sys  # noqa: E402
from .numpy_names import accept_numpy_names as _accept_numpy_names  # noqa: E402

_submodules = [m for name, m in list(_sys.modules.items()) if name.startswith(__name__ + ".")]
# x.sum(axis=0), tinynn.argmax(x, axis=1, keepdims=True): NumPy's names, as PyTorch's parser takes them
_accept_numpy_names(_submodules, globals())
# what ``from tinynn.ops import *`` gives tinynn: the ops, not the module names (tinynn.linalg is torch.linalg)
__all__ = sorted({name for m in _submodules for name in getattr(m, "__all__", ())} | {"clone", "to_device", "to_dtype"})
from . import methods  # noqa: F401,E402  (attaches the Tensor methods and operators)
