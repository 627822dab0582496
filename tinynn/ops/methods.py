"""The Tensor's mathematical methods and operators, each one line pointing at its op.

``x.exp()`` is ``tinynn.exp(x)``; ``x + y`` is ``tinynn.add(x, y)``; ``x.float()`` is ``x.to(float32)``
and ``x.add_(y)`` makes x hold ``add(x, y)`` (``inplace.py``). Kept in tables so that tensor.py stays
about what a tensor is, and a reader can find every method here.
"""
from __future__ import annotations

from ..tensor import Tensor
from . import arithmetic as A, compare as C, minmax as M, convert, indexing as I, join as J, linalg as L, reduce as R
from . import rearrange as RA, shape as S, sorting as SO, unary as U, activation as ACT
from . import binary as BI, index_ops as IO, product as PR, scan as SC, trig as TR
from . import inplace as IP
# (modules named like one of their functions are imported by name: ``from . import unique`` would
# find the function tinynn.ops.unique)
from .bucketize import bincount, count_nonzero, histc
from .diagonal import diag, diag_embed, diagonal, fill_diagonal_, trace
from .scatter_reduce import scatter_reduce
from .unique import unique, unique_consecutive
from . import decompositions as DE, least_squares as LS, matrix_functions as MF, solvers as SV
from . import spectral as SP, statistics as STAT, tensor_products as TP
from .erfinv import erfinv
from .gamma import digamma, lgamma, polygamma


def _reflected(fn):
    def method(self, other):
        return fn(other, self)

    method.__name__ = f"r{fn.__name__}"
    return method


def _inplace(name, fn):
    def method(self, *args, **kwargs):
        return IP.apply_inplace(self, name, fn, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of ``{fn.__name__}``."
    return method


def _inplace_view(name, fn):
    def method(self, *args):
        return IP.inplace_view(self, name, fn, *args)

    method.__name__ = name
    method.__doc__ = f"In-place version of ``{fn.__name__}``: this tensor becomes the view."
    return method


def _cast(name, dtype):
    def method(self):
        return self.to(dtype)

    method.__name__ = name
    method.__doc__ = f"``self.to({dtype})``."
    return method


def _matmul_operand(other, like):
    """``other`` as a matmul operand: a NumPy array (tinynn's extension) takes the tensor's float dtype,
    since matmul, as in PyTorch, does not promote."""
    if isinstance(other, Tensor) or getattr(other, "is_sparse", False):  # sparse: matmul hands it to tinynn/sparse
        return other
    array = __import__("numpy").asarray(other)
    if array.dtype.kind == "f" and like.dtype.kind == "f":
        array = array.astype(like.dtype, copy=False)
    return Tensor._make(array)


METHODS = {
    # arithmetic
    "__add__": A.add, "__radd__": _reflected(A.add), "add": A.add,
    "__sub__": A.sub, "__rsub__": _reflected(A.sub), "sub": A.sub, "subtract": A.sub,
    "__mul__": A.mul, "__rmul__": _reflected(A.mul), "mul": A.mul, "multiply": A.mul,
    "__truediv__": A.div, "__rtruediv__": _reflected(A.div), "div": A.div, "divide": A.div,
    "true_divide": A.div,
    "__floordiv__": A.floor_divide, "__rfloordiv__": _reflected(A.floor_divide), "floor_divide": A.floor_divide,
    "__mod__": A.remainder, "__rmod__": _reflected(A.remainder), "remainder": A.remainder, "fmod": A.fmod,
    "__pow__": A.pow, "__rpow__": _reflected(A.pow), "pow": A.pow,
    "__neg__": A.neg, "neg": A.neg, "negative": A.neg, "__pos__": A.positive, "positive": A.positive,
    "__abs__": U.abs, "abs": U.abs, "absolute": U.abs,
    "maximum": M.maximum, "minimum": M.minimum, "fmax": M.fmax, "fmin": M.fmin,
    "clamp": M.clamp, "clip": M.clamp, "reciprocal": A.reciprocal, "square": A.square,
    "lerp": A.lerp, "addcmul": A.addcmul, "addcdiv": A.addcdiv,
    # matrix products
    "__matmul__": lambda self, other: L.matmul(self, _matmul_operand(other, self)),
    "__rmatmul__": lambda self, other: L.matmul(_matmul_operand(other, self), self),
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "mv": L.mv, "dot": L.dot, "outer": L.outer,
    # linear algebra (more in tinynn/linalg/)
    "cholesky": DE.cholesky, "cholesky_solve": DE.cholesky_solve, "cholesky_inverse": DE.cholesky_inverse,
    "qr": DE.qr, "svd": SP.svd, "inverse": SV.inverse, "det": SV.det, "logdet": SV.logdet, "slogdet": SV.slogdet,
    "pinverse": LS.pinverse, "matrix_power": MF.matrix_power, "matrix_exp": MF.matrix_exp,
    "kron": TP.kron, "cross": TP.cross,
    # unary math
    "exp": U.exp, "expm1": U.expm1, "exp2": U.exp2, "log": U.log, "log1p": U.log1p, "log2": U.log2,
    "log10": U.log10, "sqrt": U.sqrt, "rsqrt": U.rsqrt, "sin": TR.sin, "cos": TR.cos, "tan": TR.tan,
    "atan": TR.atan, "arctan": TR.atan, "tanh": ACT.tanh, "sigmoid": ACT.sigmoid, "relu": ACT.relu, "erf": U.erf,
    "sign": U.sign, "floor": U.floor, "ceil": U.ceil, "trunc": U.trunc, "round": U.round, "frac": U.frac,
    # comparisons and logic (no gradient)
    "__eq__": C.eq, "__ne__": C.ne, "__lt__": C.lt, "__le__": C.le, "__gt__": C.gt, "__ge__": C.ge,
    "eq": C.eq, "ne": C.ne, "lt": C.lt, "le": C.le, "gt": C.gt, "ge": C.ge,
    "less": C.lt, "less_equal": C.le, "greater": C.gt, "greater_equal": C.ge, "not_equal": C.ne,
    "__and__": C.bitwise_and, "__or__": C.bitwise_or, "__xor__": C.bitwise_xor, "__invert__": C.bitwise_not, "bitwise_not": C.bitwise_not,
    "__rand__": _reflected(C.bitwise_and), "__ror__": _reflected(C.bitwise_or), "__rxor__": _reflected(C.bitwise_xor),
    "logical_and": C.logical_and, "logical_or": C.logical_or, "logical_xor": C.logical_xor,
    "logical_not": C.logical_not, "isnan": C.isnan, "isinf": C.isinf, "isfinite": C.isfinite,
    "isclose": C.isclose, "allclose": C.allclose, "equal": C.equal, "any": C.any, "all": C.all,
    # reductions
    "sum": R.sum, "nansum": R.nansum, "mean": R.mean, "max": R.max, "min": R.min, "amax": R.amax,
    "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin, "var": STAT.var, "std": STAT.std,
    "logsumexp": R.logsumexp, "softmax": R.softmax, "log_softmax": R.log_softmax, "cumsum": SC.cumsum,
    "norm": R.norm,
    # shape
    "reshape": S.reshape, "view": S.view, "view_as": S.view_as, "reshape_as": S.reshape_as,
    "flatten": S.flatten, "unflatten": S.unflatten, "squeeze": S.squeeze, "unsqueeze": S.unsqueeze,
    "permute": S.permute, "transpose": S.transpose, "swapaxes": S.transpose, "t": S.t,
    "movedim": S.movedim, "select": S.select, "expand": S.expand, "expand_as": S.expand_as, "broadcast_to": S.broadcast_to,
    "contiguous": S.contiguous,
    # joining and splitting
    "split": J.split, "chunk": J.chunk, "tensor_split": J.tensor_split, "unbind": J.unbind, "narrow": J.narrow,
    # rearranging
    "repeat": RA.repeat, "repeat_interleave": RA.repeat_interleave, "flip": RA.flip, "roll": RA.roll,
    "triu": RA.triu, "tril": RA.tril,
    # indexing
    "__getitem__": I.getitem, "gather": I.gather, "scatter": I.scatter, "scatter_add": I.scatter_add,
    "index_select": I.index_select, "masked_fill": I.masked_fill, "masked_select": I.masked_select,
    "where": lambda self, condition, other: I.where(condition, self, other),
    "nonzero": I.nonzero,
    "take_along_dim": I.take_along_dim, "multinomial": I.multinomial,
    # sorting
    "sort": SO.sort, "argsort": SO.argsort, "topk": SO.topk, "kthvalue": SO.kthvalue,
    # copies, conversions and writes (ops/convert.py, ops/inplace.py; the casts are convert.CASTS)
    "clone": convert.clone, "__deepcopy__": convert.deepcopy, "to": convert.to, "cpu": convert.cpu,
    "cuda": convert.cuda, "type": convert.type_name_or_cast, "pin_memory": convert.pin_memory,
    "is_pinned": convert.is_pinned, "fill_": IP.fill_, "zero_": IP.zero_, "copy_": IP.copy_, "__setitem__": IP.setitem,
    # for the in-place ops written outside this table (nn.functional's inplace=True, float_power_, ...)
    "_inplace": IP.apply_inplace, "_check_inplace": IP.check_inplace,
    # hyperbolic and inverse trigonometric, two-argument math, bit shifts
    "sinh": TR.sinh, "cosh": TR.cosh, "asin": TR.asin, "acos": TR.acos, "asinh": TR.asinh, "acosh": TR.acosh,
    "atanh": TR.atanh, "arcsin": TR.asin, "arccos": TR.acos, "arcsinh": TR.asinh, "arccosh": TR.acosh,
    "arctanh": TR.atanh, "atan2": BI.atan2, "arctan2": BI.atan2, "logaddexp": BI.logaddexp,
    "logaddexp2": BI.logaddexp2, "copysign": BI.copysign, "hypot": BI.hypot,
    "bitwise_left_shift": BI.bitwise_left_shift, "bitwise_right_shift": BI.bitwise_right_shift,
    "__lshift__": BI.bitwise_left_shift, "__rshift__": BI.bitwise_right_shift,
    "__rlshift__": _reflected(BI.bitwise_left_shift), "__rrshift__": _reflected(BI.bitwise_right_shift),
    # products, running reductions, distinct values
    "prod": PR.prod, "cumprod": PR.cumprod, "cummax": SC.cummax, "cummin": SC.cummin,
    "logcumsumexp": SC.logcumsumexp, "unique": unique, "unique_consecutive": unique_consecutive,
    # reading and writing at indices, diagonals, counting
    "scatter_reduce": scatter_reduce, "index_add": IO.index_add, "index_copy": IO.index_copy,
    "index_fill": IO.index_fill, "masked_scatter": IO.masked_scatter, "take": IO.take, "put": IO.put,
    "diagonal": diagonal, "diag": diag, "diag_embed": diag_embed, "trace": trace,
    "histc": histc, "bincount": bincount, "count_nonzero": count_nonzero,
    "type_as": lambda self, other: self.to(dtype=other.dtype, device=other.device),  # self.type(other.type())
    # special functions (ops/gamma.py, ops/erfinv.py)
    "lgamma": lgamma, "digamma": digamma, "polygamma": lambda self, n: polygamma(n, self), "erfinv": erfinv,
}

INPLACE = {
    "add_": A.add, "sub_": A.sub, "mul_": A.mul, "div_": A.div, "pow_": A.pow, "neg_": A.neg,
    "clamp_": M.clamp, "clip_": M.clamp, "abs_": U.abs, "exp_": U.exp, "log_": U.log,
    "sqrt_": U.sqrt, "tanh_": ACT.tanh, "sigmoid_": ACT.sigmoid, "relu_": ACT.relu, "floor_": U.floor,
    "round_": U.round, "reciprocal_": A.reciprocal, "masked_fill_": I.masked_fill,
    "scatter_": I.scatter, "scatter_add_": I.scatter_add, "lerp_": A.lerp,
    "addcmul_": A.addcmul, "addcdiv_": A.addcdiv,
    "sinh_": TR.sinh, "cosh_": TR.cosh, "asin_": TR.asin, "acos_": TR.acos, "asinh_": TR.asinh,
    "acosh_": TR.acosh, "atanh_": TR.atanh, "arcsin_": TR.asin, "arccos_": TR.acos, "arcsinh_": TR.asinh,
    "arccosh_": TR.acosh, "arctanh_": TR.atanh, "atan2_": BI.atan2, "arctan2_": BI.atan2,
    "copysign_": BI.copysign, "hypot_": BI.hypot, "bitwise_left_shift_": BI.bitwise_left_shift,
    "bitwise_right_shift_": BI.bitwise_right_shift, "__ilshift__": BI.bitwise_left_shift,
    "__irshift__": BI.bitwise_right_shift, "cumprod_": PR.cumprod, "scatter_reduce_": scatter_reduce,
    "index_add_": IO.index_add, "index_copy_": IO.index_copy, "index_fill_": IO.index_fill,
    "masked_scatter_": IO.masked_scatter, "put_": IO.put,
    "__iadd__": A.add, "__isub__": A.sub, "__imul__": A.mul, "__itruediv__": A.div,
}

PROPERTIES = {
    "T": S.reverse_dims,
    "mT": S.matrix_transpose,
}

for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)
for _name, _fn in INPLACE.items():
    setattr(Tensor, _name, _inplace(_name, _fn))
for _name, _fn in PROPERTIES.items():
    setattr(Tensor, _name, property(_fn))
for _name, _dtype in convert.CASTS.items():
    setattr(Tensor, _name, _cast(_name, _dtype))


# ---------------------------------------------------------------------------- random fills
from . import random_fills as _fills  # noqa: E402

for _name in _fills.__all__:
    setattr(Tensor, _name, getattr(_fills, _name))

# ---------------------------------------------------------------------------- new tensors like this one
from .. import creation as _creation  # noqa: E402

for _name in ("new", "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"):
    setattr(Tensor, _name, getattr(_creation, _name))


# autograd sits below the ops and imports none of them: the one op its jacobian needs is handed over
from ..autograd import functional as _autograd_functional  # noqa: E402

_autograd_functional.stack = J.stack

# sliding windows along a dim (tinynn/ops/fold.py)
from .fold import tensor_unfold  # noqa: E402

Tensor.unfold = tensor_unfold
Tensor.fill_diagonal_ = fill_diagonal_

# ---------------------------------------------------------------------------- special functions, order
# statistics, NumPy-style helpers (tinynn.special holds the functions that are not Tensor methods)
from . import batched_products as BP, bessel as BE, distances as DI, floating_point as FP  # noqa: E402
from . import index_sets as IS, normal_cdf as NC, numerical as NU, order_stats as OS  # noqa: E402
from . import pointwise as PW, special_elementwise as SE, stacking as ST  # noqa: E402
from .quantile import nanquantile, quantile  # noqa: E402
from .diagonal import diagflat  # noqa: E402
from ..creation import bernoulli as _bernoulli, ones_like as _ones_like  # noqa: E402


def _tile(self: Tensor, *dims) -> Tensor:
    """``x.tile(2, 3)`` or ``x.tile((2, 3))``."""
    return ST.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)


MORE_METHODS = {
    "erfc": NC.erfc, "i0": BE.i0, "logit": SE.logit, "xlogy": SE.xlogy, "sinc": SE.sinc, "mvlgamma": SE.mvlgamma,
    "median": OS.median, "nanmedian": OS.nanmedian, "mode": OS.mode, "aminmax": OS.aminmax, "msort": OS.msort,
    "quantile": quantile, "nanquantile": nanquantile,
    "nan_to_num": FP.nan_to_num, "signbit": FP.signbit, "frexp": FP.frexp, "ldexp": FP.ldexp,
    "nextafter": FP.nextafter, "float_power": FP.float_power, "float_power_": FP.float_power_,
    "clamp_min": PW.clamp_min, "clamp_max": PW.clamp_max, "deg2rad": PW.deg2rad, "rad2deg": PW.rad2deg,
    "sgn": PW.sgn, "heaviside": PW.heaviside, "gcd": PW.gcd, "lcm": PW.lcm,
    "apply_": PW.apply_, "map_": PW.map_,
    "hsplit": ST.hsplit, "vsplit": ST.vsplit, "dsplit": ST.dsplit, "tile": _tile, "rot90": ST.rot90,
    "ravel": ST.ravel, "swapdims": ST.swapdims, "moveaxis": ST.moveaxis, "diff": NU.diff, "argwhere": IS.argwhere,
    "dist": DI.dist, "renorm": DI.renorm, "addbmm": BP.addbmm, "baddbmm": BP.baddbmm, "addmv": BP.addmv,
    "addr": BP.addr, "addmm": L.addmm,
    # bitwise and logical, comparisons with NumPy's long names, statistics, flips and products
    "bitwise_and": C.bitwise_and, "bitwise_or": C.bitwise_or, "bitwise_xor": C.bitwise_xor,
    "bitwise_not": C.bitwise_not, "isposinf": C.isposinf, "isneginf": C.isneginf, "isreal": C.isreal,
    "nanmean": STAT.nanmean, "cov": STAT.cov, "corrcoef": STAT.corrcoef, "fliplr": RA.fliplr, "flipud": RA.flipud,
    "inner": TP.inner, "vdot": TP.vdot, "ger": TP.ger, "diagflat": diagflat, "sum_to_size": S.sum_to_size,
    "fix": U.fix, "split_with_sizes": lambda self, split_sizes, dim=0: J.split(self, list(split_sizes), dim),
    "narrow_copy": lambda self, dim, start, length: J.narrow(self, dim, start, length).clone(),
    "bernoulli": lambda self, p=None, *, generator=None: _bernoulli(self if p is None else p * _ones_like(self),
                                                                     generator=generator),
    "is_same_size": lambda self, other: tuple(self.shape) == tuple(other.shape),
    "ndimension": lambda self: self.ndim,
    "get_device": lambda self: -1 if not self.is_cuda else self.device.index or 0,
    "is_signed": lambda self: self.dtype.kind in "if", "is_inference": lambda self: False,
    "is_complex": lambda self: False, "is_conj": lambda self: False, "is_neg": lambda self: False,
    # tinynn has no complex dtypes: for real tensors these are the tensor itself, as in PyTorch
    "conj": lambda self: self, "resolve_conj": lambda self: self, "resolve_neg": lambda self: self,
    "conj_physical": lambda self: self, "adjoint": S.matrix_transpose,
}

MORE_INPLACE = {
    "erfc_": NC.erfc, "i0_": BE.i0, "logit_": SE.logit, "xlogy_": SE.xlogy, "sinc_": SE.sinc,
    "mvlgamma_": SE.mvlgamma, "lgamma_": lgamma, "digamma_": digamma, "polygamma_": lambda self, n: polygamma(n, self),
    "erfinv_": erfinv, "nan_to_num_": FP.nan_to_num, "ldexp_": FP.ldexp, "nextafter_": FP.nextafter,
    "clamp_min_": PW.clamp_min, "clamp_max_": PW.clamp_max, "deg2rad_": PW.deg2rad, "rad2deg_": PW.rad2deg,
    "sgn_": PW.sgn, "heaviside_": PW.heaviside, "gcd_": PW.gcd, "lcm_": PW.lcm, "renorm_": DI.renorm,
    "addbmm_": BP.addbmm, "baddbmm_": BP.baddbmm, "addmv_": BP.addmv, "addr_": BP.addr, "addmm_": L.addmm,
    # the in-place forms of the elementwise methods that had none
    "absolute_": U.abs, "atan_": TR.atan, "arctan_": TR.atan, "ceil_": U.ceil, "cos_": TR.cos, "sin_": TR.sin,
    "tan_": TR.tan, "erf_": U.erf, "exp2_": U.exp2, "expm1_": U.expm1, "fix_": U.fix, "frac_": U.frac,
    "log10_": U.log10, "log1p_": U.log1p, "log2_": U.log2, "rsqrt_": U.rsqrt, "sign_": U.sign, "trunc_": U.trunc,
    "square_": A.square, "fmod_": A.fmod, "remainder_": A.remainder, "floor_divide_": A.floor_divide,
    "divide_": A.div, "true_divide_": A.div, "multiply_": A.mul, "subtract_": A.sub, "negative_": A.neg,
    "cumsum_": SC.cumsum, "tril_": RA.tril, "triu_": RA.triu,
    "eq_": C.eq, "ne_": C.ne, "lt_": C.lt, "le_": C.le, "gt_": C.gt, "ge_": C.ge, "not_equal_": C.ne,
    "less_": C.lt, "less_equal_": C.le, "greater_": C.gt, "greater_equal_": C.ge,
    "logical_and_": C.logical_and, "logical_or_": C.logical_or, "logical_xor_": C.logical_xor,
    "logical_not_": C.logical_not, "bitwise_and_": C.bitwise_and, "bitwise_or_": C.bitwise_or,
    "bitwise_xor_": C.bitwise_xor, "bitwise_not_": C.bitwise_not,
    "__iand__": C.bitwise_and, "__ior__": C.bitwise_or, "__ixor__": C.bitwise_xor,
}

# in place, a new view of the tensor's own memory: t_(), unsqueeze_(), squeeze_(), transpose_()
IN_PLACE_VIEWS = {
    "t_": S.t, "unsqueeze_": S.unsqueeze, "squeeze_": S.squeeze, "transpose_": S.transpose,
    "swapaxes_": S.transpose, "swapdims_": S.transpose,
}

for _name, _fn in MORE_METHODS.items():
    setattr(Tensor, _name, _fn)
for _name, _fn in MORE_INPLACE.items():
    setattr(Tensor, _name, _inplace(_name, _fn))
for _name, _fn in IN_PLACE_VIEWS.items():
    setattr(Tensor, _name, _inplace_view(_name, _fn))
