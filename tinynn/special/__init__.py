"""tinynn.special: PyTorch's ``torch.special``, the special functions under SciPy's names.

Each name here is one of tinynn's elementwise ops (forward and backward in tinynn/ops/), so every
function is differentiable and runs on NumPy or CuPy arrays; none needs SciPy.

    error functions       erf erfc erfinv ndtr ndtri log_ndtr          (ops/special.py, ops/erfinv.py,
                                                                        ops/normal_cdf.py)
    gamma functions       gammaln digamma psi polygamma multigammaln    (ops/gamma.py, ops/special_elementwise.py)
    Bessel functions      i0 i0e i1 i1e modified_bessel_i0 modified_bessel_i1   (ops/bessel.py)
    logs and entropies    logit expit xlogy xlog1py entr                (ops/special_elementwise.py)
    the rest              sinc round exp2 expm1 log1p logsumexp softmax log_softmax

Names of ``torch.special`` that tinynn does not implement (zeta, gammainc, erfcx, the Bessel
functions J, Y and K, Airy, the orthogonal polynomials) raise an AttributeError that says so.
"""
from __future__ import annotations

from ..ops.bessel import i0, i0e, i1, i1e
from ..ops.erfinv import erfinv
from ..ops.gamma import digamma, lgamma as gammaln, polygamma
from ..ops.normal_cdf import erfc, log_ndtr, ndtr, ndtri
from ..ops.reduce import log_softmax, logsumexp, softmax
from ..ops.special_elementwise import entr, logit, mvlgamma as multigammaln, sinc, xlog1py, xlogy
from ..ops.activation import sigmoid as expit
from ..ops.unary import erf, exp2, expm1, log1p, round

psi = digamma
modified_bessel_i0 = i0
modified_bessel_i1 = i1

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1",
    "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
    "modified_bessel_i1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
    "softmax", "xlog1py", "xlogy",
]

_NOT_IMPLEMENTED = {
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "erfcx", "gammainc",
    "gammaincc", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "spherical_bessel_j0", "zeta",
}


def __getattr__(name: str):
    if name in _NOT_IMPLEMENTED:
        raise AttributeError(
            f"tinynn.special.{name} is not implemented: tinynn has the special functions listed in "
            f"tinynn.special.__all__ ({', '.join(__all__)})"
        )
    raise AttributeError(f"module 'tinynn.special' has no attribute {name!r}")
