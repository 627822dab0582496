"""Elementwise error function, erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, and erfc = 1 - erf.

Vectorised over NumPy or CuPy arrays, accurate to about one ulp in double precision. Inputs are
computed in float64 and cast back to their own float dtype. Each element is evaluated by one
rational approximation chosen by |x| (only on the elements in that range):

    |x| < 0.84375          erf(x) = x + x * P(x^2)/Q(x^2)
    0.84375 <= |x| < 1.25   erf(x) = sign(x) * (c + P(s)/Q(s)),  s = |x| - 1,  c = erf(1) to 24 bits
    1.25 <= |x| < 1/0.35    erfc(a) = exp(-a^2 - 0.5625 + R(1/a^2)/S(1/a^2)) / a,  a = |x|
    1/0.35 <= |x|           the same with another R/S; erf = sign(x) * (1 - erfc(a)), which is
                            exactly +-1 from |x| >= 6 (erfc(a) is 0 in float64 from a = 28).

In the last two, exp(-a^2) is taken as exp(-z^2) * exp((z - a)(z + a)) with z = a cut to its
high 21 mantissa bits, so that z^2 is exact. NaN gives NaN, +-inf gives +-1 and erf(-0.0) = -0.0.

The rational approximations and their coefficients are those of fdlibm's s_erf.c:
Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at SunSoft, a Sun
Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software is
freely granted, provided that this notice is preserved.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..backend import array_module_of

_ERX = 8.45062911510467529297e-01  # erf(1) rounded to float32 precision
# Coefficients lowest degree first; the denominators' constant term is 1.
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.0, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (1.0, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)

_SMALL, _MID, _SPLIT = 0.84375, 1.25, 1 / 0.35
_HIGH_WORD = 0xFFFFFFFF00000000  # keeps sign, exponent and the top 20 stored mantissa bits


def _horner(t: Any, coeffs: Sequence[float]) -> Any:
    """c[0] + c[1] t + ... + c[n] t^n, evaluated innermost first (Horner's rule)."""
    acc = t * coeffs[-1]
    acc += coeffs[-2]
    for c in coeffs[-3::-1]:
        acc *= t
        acc += c
    return acc


def _erfc_tail(a: Any, num: Sequence[float], den: Sequence[float], xp: Any) -> Any:
    """erfc(a) for a >= 1.25 (finite): exp(-a^2 - 0.5625 + R(1/a^2)/S(1/a^2)) / a."""
    s = a * a
    xp.reciprocal(s, out=s)
    ratio = _horner(s, num)
    ratio /= _horner(s, den)
    z = (a.view(xp.uint64) & xp.uint64(_HIGH_WORD)).view(xp.float64)
    head = z * z  # exact: z has 21 significant bits
    head += 0.5625
    xp.negative(head, out=head)
    xp.exp(head, out=head)
    ratio += (z - a) * (z + a)  # -a^2 = -z^2 + (z - a)(z + a)
    head *= xp.exp(ratio, out=ratio)
    head /= a
    return head


def _evaluate(x: Any, complement: bool) -> Any:
    xp = array_module_of(x)
    x = xp.asarray(x)
    if x.dtype.kind == "c":
        raise TypeError("erf: complex input is not supported")
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype(xp.float64)
    v = x.astype(xp.float64, copy=False).ravel()
    ax = xp.abs(v)
    below_small, below_mid, below_split = ax < _SMALL, ax < _MID, ax < _SPLIT
    out = xp.empty_like(v)
    # Each range is gathered by index (cheaper than a boolean mask used twice) and put back.

    i = xp.flatnonzero(below_small)  # |x| < 0.84375
    t = v[i]
    t2 = t * t
    y = _horner(t2, _PP)
    y /= _horner(t2, _QQ)
    if complement:
        out[i] = xp.where(t < 0.25, 1.0 - (t + t * y), 0.5 - (t * y + (t - 0.5)))
    else:  # x + x*y, scaled by 8 so that subnormal x keep their precision
        t *= 8.0
        y *= t
        y += t
        y *= 0.125
        out[i] = y

    i = xp.flatnonzero(below_mid ^ below_small)  # 0.84375 <= |x| < 1.25
    t = v[i]
    s = xp.abs(t)
    s -= 1.0
    r = _horner(s, _PA)
    r /= _horner(s, _QA)
    if complement:
        out[i] = xp.where(t >= 0, (1.0 - _ERX) - r, 1.0 + (_ERX + r))
    else:
        r += _ERX
        out[i] = xp.copysign(r, t, out=r)

    # 1.25 <= |x|; NaN falls in the last group. |x| is clamped where the answer no longer moves.
    cap = 28.0 if complement else 6.0
    for group, num, den in ((below_split ^ below_mid, _RA, _SA), (~below_split, _RB, _SB)):
        i = xp.flatnonzero(group)
        t = v[i]
        a = xp.abs(t)
        e = _erfc_tail(xp.minimum(a, cap, out=a), num, den, xp)
        if complement:
            out[i] = xp.where(t > 0, e, 2.0 - e)
        else:
            xp.subtract(1.0, e, out=e)
            out[i] = xp.copysign(e, t, out=e)

    return out.reshape(x.shape).astype(dtype, copy=False)


def erf_array(x: Any) -> Any:
    """The error function of each element of a NumPy or CuPy array, in the array's float dtype.

    Computed in float64 and cast back; integer and bool inputs give float64.
    """
    return _evaluate(x, complement=False)


def erfc_array(x: Any) -> Any:
    """The complementary error function 1 - erf(x), without cancellation for large x."""
    return _evaluate(x, complement=True)
