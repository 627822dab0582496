"""tinynn.special (torch.special): values over wide ranges against PyTorch to ~1e-12 relative in
float64 (against mpmath where PyTorch's own approximation is less accurate), the aliases, and
the names tinynn does not implement."""
import numpy as np
import pytest

import tinynn
import tinynn.special as S
from tests.helpers import check_gradients, needs_torch, torch


def _values(fn, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return fn(tinynn.tensor(x)).numpy()


def _assert_relative(got, want, rtol=1e-12, atol=0.0):
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[np.isinf(want)], want[np.isinf(want)])
    finite = np.isfinite(want)
    err = np.abs(got[finite] - want[finite])
    bound = rtol * np.abs(want[finite]) + atol
    assert np.all(err <= bound), f"worst relative error {np.max(err / np.maximum(np.abs(want[finite]), 1e-300)):.3g}"


def _wide(low, high, n=400, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(low, high, n), np.linspace(low, high, 101)])


POSITIVE = np.concatenate([_wide(1e-3, 40.0), np.logspace(-300, 300, 121)])
NEGATIVE = _wide(-40.0, 0.0, seed=1)
NEGATIVE = NEGATIVE[np.abs(NEGATIVE - np.round(NEGATIVE)) > 1e-2]  # away from the poles

# name -> (tinynn function, torch function, inputs, relative tolerance, absolute tolerance)
CASES = {
    "erf": (S.erf, "erf", _wide(-7.0, 7.0), 1e-15, 1e-300),
    "erfc": (S.erfc, "erfc", _wide(-7.0, 27.0), 1e-13, 1e-300),
    "erfinv": (S.erfinv, "erfinv", np.concatenate([_wide(-1.0, 1.0), 1 - np.logspace(-16, -1, 40)]), 1e-13, 0.0),
    "gammaln": (S.gammaln, "gammaln", np.concatenate([POSITIVE, NEGATIVE, [1.0, 2.0, 1 + 1e-9, 2 - 1e-12]]),
                1e-12, 1e-15),
    "digamma": (S.digamma, "digamma", np.concatenate([POSITIVE, NEGATIVE]), 1e-12, 1e-15),
    "i0": (S.i0, "i0", _wide(-700.0, 700.0), 1e-13, 0.0),
    "i0e": (S.i0e, "i0e", np.concatenate([_wide(-700.0, 700.0), np.logspace(3, 300, 30)]), 1e-13, 0.0),
    "i1": (S.i1, "i1", _wide(-700.0, 700.0), 1e-13, 0.0),
    "i1e": (S.i1e, "i1e", np.concatenate([_wide(-700.0, 700.0), -np.logspace(3, 300, 30)]), 1e-13, 0.0),
    "ndtr": (S.ndtr, "ndtr", _wide(-2.5, 40.0), 1e-13, 0.0),  # PyTorch's lower tail: see test_normal_cdf
    "log_ndtr": (S.log_ndtr, "log_ndtr", np.concatenate([_wide(-1e4, 5.0), _wide(-45.0, 8.0)]), 1e-12, 1e-300),
    "ndtri": (S.ndtri, "ndtri",
              np.concatenate([_wide(0.0, 1.0), np.logspace(-320, -1, 60), 1 - np.logspace(-15, -1, 30)]), 1e-12, 0.0),
    "expit": (S.expit, "expit", _wide(-700.0, 700.0), 1e-15, 0.0),
    "logit": (S.logit, "logit", _wide(1e-12, 1 - 1e-12), 1e-12, 0.0),
    "entr": (S.entr, "entr", np.concatenate([_wide(0.0, 50.0), [0.0, 1.0]]), 1e-14, 0.0),
    "sinc": (S.sinc, "sinc", _wide(-50.0, 50.0), 1e-12, 1e-16),
}


@needs_torch
@pytest.mark.parametrize("name", list(CASES))
def test_values_match_torch_over_wide_ranges(name):
    ours, theirs, x, rtol, atol = CASES[name]
    want = getattr(torch.special, theirs)(torch.tensor(x)).numpy()
    _assert_relative(_values(ours, x), want, rtol, atol)


@needs_torch
def test_two_argument_and_multivariate_values_match_torch():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-5.0, 5.0, 300), rng.uniform(0.0, 50.0, 300)
    x[:20] = 0.0
    for name in ("xlogy", "xlog1py"):
        got = getattr(S, name)(tinynn.tensor(x), tinynn.tensor(y)).numpy()
        _assert_relative(got, getattr(torch.special, name)(torch.tensor(x), torch.tensor(y)).numpy(), 1e-14)
    z = rng.uniform(2.0, 100.0, 300)
    for p in (1, 2, 5):
        got = S.multigammaln(tinynn.tensor(z), p).numpy()
        _assert_relative(got, torch.special.multigammaln(torch.tensor(z), p).numpy(), 1e-13)


def test_polygamma_against_mpmath():
    # PyTorch's trigamma stops its asymptotic series early (about 1e-9 relative): mpmath is the reference
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    x = np.concatenate([_wide(0.05, 30.0, n=40, seed=3), np.logspace(-5, 5, 11), _wide(-9.8, -0.2, n=30, seed=4)])
    x = x[np.abs(x - np.round(x)) > 0.05]
    for n in (1, 2, 3):
        want = np.array([float(mpmath.polygamma(n, mpmath.mpf(v))) for v in x])
        _assert_relative(S.polygamma(n, tinynn.tensor(x)).numpy(), want, 1e-12)


def test_gammaln_keeps_relative_precision_at_its_zeros():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    x = np.array([1 + 1e-10, 1 - 1e-10, 2 + 1e-12, 2 - 1e-15, 1.0000001, 1.999999, 0.5, 2.4999])
    want = np.array([float(mpmath.log(mpmath.gamma(mpmath.mpf(v)))) for v in x])
    _assert_relative(S.gammaln(tinynn.tensor(x)).numpy(), want, 1e-13)
    np.testing.assert_array_equal(S.gammaln(tinynn.tensor([1.0, 2.0], dtype=tinynn.float64)).numpy(), [0.0, 0.0])


def test_aliases():
    assert S.psi is S.digamma and S.expit is tinynn.sigmoid and S.gammaln is tinynn.lgamma
    assert S.multigammaln is tinynn.mvlgamma and S.modified_bessel_i0 is tinynn.i0
    for name in ("round", "exp2", "expm1", "log1p", "logsumexp", "softmax", "log_softmax", "erf", "erfc",
                 "erfinv", "logit", "xlogy", "sinc", "i0", "polygamma", "digamma"):
        assert getattr(S, name) is getattr(tinynn, name), name
    x = tinynn.tensor([[0.3, -1.2], [2.0, 0.1]])
    np.testing.assert_allclose(S.softmax(x, 1).numpy().sum(1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(S.round(x, decimals=1).numpy(), np.round(x.numpy(), 1))


def test_every_public_name_is_callable_and_differentiable():
    x = tinynn.tensor([0.3, 0.6], dtype=tinynn.float64, requires_grad=True)
    for name in S.__all__:
        fn = getattr(S, name)
        if name in ("polygamma",):
            y = fn(1, x)
        elif name in ("multigammaln",):
            y = fn(x + 2, 2)
        elif name in ("xlogy", "xlog1py"):
            y = fn(x, x)
        elif name in ("logsumexp", "softmax", "log_softmax"):
            y = fn(x, 0)
        else:
            y = fn(x)
        assert y.requires_grad or name == "round", name


def test_unimplemented_names_say_so():
    with pytest.raises(AttributeError, match="tinynn.special.zeta is not implemented"):
        S.zeta
    with pytest.raises(AttributeError, match="has no attribute 'nothing_like_this'"):
        S.nothing_like_this


def test_importable_as_torch_special(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "uses_special.py"
    script.write_text("import torch\nimport torch.special\nfrom torch.special import ndtri, expit\n"
                      "print(float(torch.special.i0(torch.tensor(1.0))), float(ndtri(torch.tensor(0.5))))\n")
    out = subprocess.run([sys.executable, "-m", "tinynn.as_torch", str(script)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["1.2660658359527588", "0.0"]


def test_gradients_near_the_zeros_of_gammaln():
    # lgamma's series branch (0.5 <= x < 2.5) against finite differences of itself; its derivative is digamma
    check_gradients(S.gammaln, np.array([0.55, 0.999, 1.0, 1.3, 1.999, 2.0, 2.45, 2.6]))


def test_inplace_gamma_and_erfinv_methods():
    x = tinynn.tensor([0.3, 1.7], dtype=tinynn.float64)
    for name, fn in (("lgamma_", tinynn.lgamma), ("digamma_", tinynn.digamma), ("erfinv_", tinynn.erfinv),
                     ("polygamma_", lambda t: tinynn.polygamma(2, t))):
        y = x.clone() if name != "erfinv_" else x.clone() / 2
        expected = fn(y).numpy()
        assert (getattr(y, name)(2) if name == "polygamma_" else getattr(y, name)()) is y
        np.testing.assert_array_equal(y.numpy(), expected)
