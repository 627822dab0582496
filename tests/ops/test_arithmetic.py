"""Elementwise arithmetic (tinynn/ops/arithmetic.py): gradients, PyTorch parity, dtype promotion, errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# Shape pairs: equal, trailing broadcast, both sides stretched, a 0-d operand, a size-1 grid.
SHAPE_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1, 4), (2, 4)), ((), (2, 3)), ((2, 1), (1, 3))]


def _inputs(op, shape_a, shape_b):
    """Inputs inside each op's smooth domain: positive bases for pow, divisors away from zero."""
    a, b = rand(*shape_a, seed=1), rand(*shape_b, seed=2)
    if op == "pow":
        a = rand(*shape_a, seed=1, low=0.5, high=2.0)
    if op in ("div", "remainder", "fmod"):
        b = np.sign(b) * (np.abs(b) + 0.5)
    return a, b


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a**b, lambda a, b: a**b),
    "add_alpha": (lambda a, b: tinynn.add(a, b, alpha=-2.5), lambda a, b: torch.add(a, b, alpha=-2.5)),
    "sub_alpha": (lambda a, b: tinynn.sub(a, b, alpha=0.5), lambda a, b: torch.sub(a, b, alpha=0.5)),
    "maximum": (tinynn.maximum, lambda a, b: torch.maximum(a, b)),
    "minimum": (tinynn.minimum, lambda a, b: torch.minimum(a, b)),
    "fmax": (tinynn.fmax, lambda a, b: torch.fmax(a, b)),
    "fmin": (tinynn.fmin, lambda a, b: torch.fmin(a, b)),
    "remainder": (lambda a, b: a % b, lambda a, b: a % b),
    "fmod": (tinynn.fmod, lambda a, b: torch.fmod(a, b)),
}
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_gradcheck(op, shapes):
    a, b = _inputs(op, *shapes)
    check_gradients(BINARY[op][0], a, b)  # piecewise-linear ones too: their second derivative is 0


@needs_torch
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_matches_torch(op, shapes):
    a, b = _inputs(op, *shapes)
    assert_matches_torch(*BINARY[op], a, b)


# Python numbers on either side of the operator (the reflected methods), and special exponents.
SCALAR = {
    "2 + x": lambda x: 2 + x,
    "x + 2.5": lambda x: x + 2.5,
    "2 - x": lambda x: 2 - x,
    "x - 2": lambda x: x - 2,
    "3 * x": lambda x: 3 * x,
    "x * -0.5": lambda x: x * -0.5,
    "2 / x": lambda x: 2 / x,
    "x / 4": lambda x: x / 4,
    "2 ** x": lambda x: 2**x,
    "0.5 ** x": lambda x: 0.5**x,
    "x ** 0.5": lambda x: x**0.5,
    "x ** 2": lambda x: x**2,
    "x ** 3.0": lambda x: x**3.0,
    "x ** -1.5": lambda x: x**-1.5,
    "x ** 1": lambda x: x**1,
    "x ** 0": lambda x: x**0,
    "7.5 % x": lambda x: 7.5 % x,
    "x % 0.75": lambda x: x % 0.75,
    "-x": lambda x: -x,
    "+x": lambda x: +x,
    "reciprocal": lambda x: x.reciprocal(),
    "square": lambda x: x.square(),
    "x.pow(2)": lambda x: x.pow(2),
    "rsub": lambda x: x.__rsub__(1.5),
}


@pytest.mark.parametrize("name", list(SCALAR))
def test_scalar_operand_gradcheck(name):
    x = rand(2, 3, seed=3, low=0.5, high=2.0)  # positive: fractional and negative powers are smooth
    check_gradients(SCALAR[name], x)


@needs_torch
@pytest.mark.parametrize("name", [n for n in SCALAR if n != "7.5 % x"])  # PyTorch: no derivative for it
def test_scalar_operand_matches_torch(name):
    assert_matches_torch(SCALAR[name], SCALAR[name], rand(2, 3, seed=3, low=0.5, high=2.0))


def test_scalar_results_are_exact():
    x = tinynn.tensor([1.0, 2.0, 4.0], dtype=tinynn.float64)
    np.testing.assert_array_equal((2 - x).numpy(), [1, 0, -2])
    np.testing.assert_array_equal((2**x).numpy(), [2, 4, 16])
    np.testing.assert_array_equal((x**0.5).numpy(), [1, np.sqrt(2), 2])
    np.testing.assert_array_equal((1 / x).numpy(), [1, 0.5, 0.25])
    np.testing.assert_array_equal((-7 % tinynn.tensor([3, -3])).numpy(), [2, -1])  # sign of the divisor


@needs_torch
def test_pow_gradient_at_zero_base_and_exponent_matches_torch():
    x = np.array([0.0, 1.0, -2.0, 3.0])
    assert_matches_torch(lambda t: t**2.0, lambda t: t**2.0, x)
    assert_matches_torch(lambda t: t**0, lambda t: t**0, x)
    assert_matches_torch(lambda t: 2.0**t, lambda t: 2.0**t, x)
    # a tensor exponent with a zero base: d/de 0^e = 0 (both libraries define it so)
    assert_matches_torch(lambda b, e: b**e, lambda b, e: b**e, np.array([0.0, 2.0]), np.array([2.0, 1.5]))
    # a zero exponent tensor at a zero base: d/db 0^0 = 0 (not 0 * 0^-1 = nan)
    assert_matches_torch(lambda b, e: b**e, lambda b, e: b**e, np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 0.0]))


def test_pow_exponent_gradient_at_zero_and_negative_bases_is_pytorchs():
    # d(x^y)/dy = x^y log x: nan for x < 0 (log of a negative number), 0 at x = 0 when y >= 0 (the
    # limit), -inf at x = 0 when y < 0; d/dx is 0 wherever y = 0, even at x = 0
    base, exponent = leaf([-2.0, 0.0, 0.0, 0.0, 4.0]), leaf([2.0, 2.0, 0.0, -1.5, 0.5])
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad.numpy(), [np.nan, 0.0, 0.0, -np.inf, 2.0 * np.log(4.0)])
    np.testing.assert_allclose(base.grad.numpy(), [-4.0, 0.0, 0.0, -np.inf, 0.25])
    for number, expected in [(0.0, [0.0, 0.0, -np.inf]), (-2.0, [np.nan] * 3), (2.0, 2.0 ** np.array([2.0, 0.0, -1.0]) * np.log(2.0))]:
        exponent = leaf([2.0, 0.0, -1.0])
        tinynn.pow(number, exponent).sum().backward()
        np.testing.assert_allclose(exponent.grad.numpy(), expected, err_msg=f"base {number}")


@needs_torch
@pytest.mark.parametrize("number", [0.0, -2.0, 2.0])
def test_pow_gradients_at_zero_and_negative_bases_match_torch(number):
    base, exponent = np.array([-2.0, 0.0, 0.0, 0.0, 4.0, -1.0]), np.array([2.0, 2.0, 0.0, -1.5, 0.5, 3.0])
    assert_matches_torch(lambda a, b: a**b, lambda a, b: a**b, base, exponent)
    assert_matches_torch(lambda b: tinynn.pow(number, b), lambda b: torch.pow(number, b), exponent)


@needs_torch
def test_maximum_minimum_split_ties_like_torch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])
    assert_matches_torch(tinynn.maximum, torch.maximum, a, b)
    assert_matches_torch(tinynn.minimum, torch.minimum, a, b)


@needs_torch
def test_fmax_fmin_ignore_nan_like_torch():
    a = np.array([np.nan, 1.0, 2.0, np.nan, 2.0, -1.0])
    b = np.array([1.0, np.nan, 3.0, np.nan, 2.0, -3.0])  # NaN either side, both, a tie, a win
    assert_matches_torch(tinynn.fmax, torch.fmax, a, b)
    assert_matches_torch(tinynn.fmin, torch.fmin, a, b)
    np.testing.assert_array_equal(tinynn.fmax(tinynn.tensor(a), 0.0).numpy(), [0, 1, 2, 0, 2, 0])


def test_maximum_tie_gradient_is_half():
    a, b = leaf([1.0, 2.0]), leaf([1.0, 0.0])
    tinynn.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0])


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (-0.5, None), (None, 0.3)], ids=str)
def test_clamp_scalar_bounds(bounds):
    x = rand(3, 4, seed=4)
    x[np.abs(np.abs(x) - 0.5) < 1e-3] = 0.0  # keep clear of the kinks
    check_gradients(lambda t: t.clamp(*bounds), x)
    if torch is not None:
        assert_matches_torch(lambda t: t.clamp(*bounds), lambda t: t.clamp(*bounds), x)


@needs_torch
def test_clamp_tensor_bounds_match_torch():
    x = np.array([1.0, 2.0, 3.0, -1.0, 0.25])
    lo = np.array([0.0, 2.5, 5.0, -2.0, 0.0])
    hi = np.array([0.5, 3.0, 4.0, 1.0, 0.5])  # the third has lo > hi: the result is hi
    assert_matches_torch(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c), x, lo, hi)
    assert_matches_torch(lambda a, b: a.clamp(min=b), lambda a, b: a.clamp(min=b), x, lo)
    assert_matches_torch(lambda a, c: a.clamp(max=c), lambda a, c: a.clamp(max=c), x, hi)


def test_clamp_tensor_bounds_gradcheck():
    x, lo, hi = rand(2, 3, seed=5), rand(3, seed=6) - 1.0, rand(2, 1, seed=7) + 1.0
    check_gradients(lambda a, b, c: a.clamp(b, c), x, lo, hi)


def test_clamp_without_bounds_raises():
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max'"):
        tinynn.ones(2).clamp()


@needs_torch
@pytest.mark.parametrize("weight", [0.3, "tensor"])
def test_lerp_addcmul_addcdiv_match_torch(weight):
    a, b, c = rand(2, 3, seed=1), rand(2, 3, seed=2), rand(3, seed=3, low=0.5, high=1.5)
    if weight == "tensor":
        assert_matches_torch(lambda s, e, w: s.lerp(e, w), lambda s, e, w: s.lerp(e, w), a, b, c)
    else:
        assert_matches_torch(lambda s, e: s.lerp(e, weight), lambda s, e: s.lerp(e, weight), a, b)
    assert_matches_torch(lambda x, y, z: x.addcmul(y, z, value=0.5), lambda x, y, z: x.addcmul(y, z, value=0.5),
                         a, b, c)
    assert_matches_torch(lambda x, y, z: x.addcdiv(y, z, value=-2), lambda x, y, z: x.addcdiv(y, z, value=-2),
                         a, b, c)


def test_lerp_addcmul_addcdiv_gradcheck():
    a, b, c = rand(2, 3, seed=1), rand(2, 3, seed=2), rand(3, seed=3, low=0.5, high=1.5)
    check_gradients(lambda s, e, w: tinynn.lerp(s, e, w), a, b, c)
    check_gradients(lambda x, y, z: tinynn.addcmul(x, y, z, value=0.5), a, b, c)
    check_gradients(lambda x, y, z: tinynn.addcdiv(x, y, z, value=-2), a, b, c)


@needs_torch
@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes_match_torch(mode):
    a, b = np.array([7.5, -7.5, 3.0, -0.5]), np.array([2.0, 2.0, -2.0, 0.25])
    assert_matches_torch(lambda x, y: tinynn.div(x, y, rounding_mode=mode),
                         lambda x, y: torch.div(x, y, rounding_mode=mode), a, b)
    ints_a, ints_b = np.array([7, -7, 3]), np.array([2, 2, -2])
    ours = tinynn.div(tinynn.tensor(ints_a), tinynn.tensor(ints_b), rounding_mode=mode)
    theirs = torch.div(torch.tensor(ints_a), torch.tensor(ints_b), rounding_mode=mode)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_div_rejects_unknown_rounding_mode():
    with pytest.raises(RuntimeError, match="rounding_mode"):
        tinynn.div(tinynn.ones(2), 2, rounding_mode="round")


@needs_torch
def test_floor_divide_and_remainder_values_match_torch():
    a, b = np.array([7.5, -7.5, 3.0, -1.0]), np.array([2.0, 2.0, -2.0, 0.3])
    for ours, theirs in [(lambda x, y: x // y, lambda x, y: x // y), (lambda x, y: x % y, lambda x, y: x % y),
                         (tinynn.fmod, torch.fmod)]:
        assert_close(ours(tinynn.tensor(a), tinynn.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)))
    ia, ib = np.array([7, -7, 3, -1]), np.array([2, 2, -2, 5])
    assert_close(tinynn.tensor(ia) // tinynn.tensor(ib), torch.tensor(ia) // torch.tensor(ib))
    assert_close(tinynn.tensor(ia) % tinynn.tensor(ib), torch.tensor(ia) % torch.tensor(ib))


# ---------------------------------------------------------------------------- dtype promotion
def _make(kind, shape, lib):
    # no zeros (true division by them warns) and no negatives (fractional powers of them are NaN)
    values = {"f16": [1.5, 2.0], "f32": [1.5, 2.5], "f64": [1.25, 2.0], "i32": [3, 2], "i64": [3, 1],
              "u8": [3, 2], "b": [True, True]}[kind]
    dtype = {"f16": "float16", "f32": "float32", "f64": "float64", "i32": "int32", "i64": "int64",
             "u8": "uint8", "b": "bool"}[kind]
    array = np.array(values, dtype=dtype)
    array = array[0] if shape == () else array
    return tinynn.tensor(array) if lib == "tinynn" else torch.tensor(array)


# (a, b, shape of a, shape of b): tensors of every category against each other, 0-d tensors
PROMOTION_CASES = [
    ("f32", "f32", (2,), (2,)), ("f32", "f64", (2,), (2,)), ("f32", "f64", (2,), ()), ("f64", "f32", (), (2,)),
    ("i64", "i32", (2,), (2,)), ("i32", "i64", (2,), ()), ("u8", "i32", (2,), (2,)), ("b", "i32", (2,), (2,)),
    ("b", "b", (2,), (2,)), ("i64", "f32", (2,), ()), ("f16", "f32", (2,), ()), ("b", "f16", (2,), (2,)),
    ("f32", "i64", (2,), (2,)), ("i32", "f32", (2,), (2,)), ("f16", "i64", (2,), (2,)),  # the float's dtype wins
]


@needs_torch
@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum"])
@pytest.mark.parametrize("a, b, shape_a, shape_b", PROMOTION_CASES)
def test_tensor_tensor_promotion_matches_torch(op, a, b, shape_a, shape_b):
    ours = getattr(tinynn, op)(_make(a, shape_a, "tinynn"), _make(b, shape_b, "tinynn"))
    theirs = getattr(torch, op)(_make(a, shape_a, "torch"), _make(b, shape_b, "torch"))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-3)


# The cases the issue names: a Python number never widens a tensor of its own category.
SCALAR_PROMOTION = [
    ("f32", "mul", 2.0, "float32"), ("f32", "add", 2, "float32"), ("f16", "mul", 2.5, "float16"),
    ("i64", "div", 2, "float32"), ("i32", "add", 2.5, "float32"), ("i32", "mul", 2, "int32"),
    ("b", "add", 1, "int64"), ("b", "add", True, "bool"), ("b", "mul", 1.5, "float32"),
    ("u8", "add", 100, "uint8"), ("i64", "pow", 2, "int64"), ("i64", "pow", 0.5, "float32"),
    ("f32", "sub", 1, "float32"), ("i64", "remainder", 2, "int64"), ("i64", "floor_divide", 2, "int64"),
]


@needs_torch
@pytest.mark.parametrize("kind, op, scalar, expected", SCALAR_PROMOTION)
@pytest.mark.parametrize("side", ["tensor op scalar", "scalar op tensor"])
def test_scalar_promotion_matches_torch(kind, op, scalar, expected, side):
    def run(lib, module):
        t = _make(kind, (2,), lib)
        return getattr(module, op)(t, scalar) if side == "tensor op scalar" else _reflected(op, scalar, t)

    ours, theirs = run("tinynn", tinynn), run("torch", torch)
    if side == "tensor op scalar":
        assert str(ours.dtype) == expected
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-3)


def _reflected(op, scalar, t):
    symbol = {"add": "__radd__", "sub": "__rsub__", "mul": "__rmul__", "div": "__rtruediv__", "pow": "__rpow__",
              "remainder": "__rmod__", "floor_divide": "__rfloordiv__"}[op]
    return getattr(t, symbol)(scalar)


def test_int_tensor_true_division_is_float32():
    out = tinynn.tensor([1, 2, 3]) / tinynn.tensor([2, 2, 2])
    assert out.dtype == tinynn.float32
    np.testing.assert_array_equal(out.numpy(), [0.5, 1.0, 1.5])


def test_gradients_keep_each_input_dtype():
    # float32 * float64 computes in float64; each input's gradient comes back in its own dtype
    a = tinynn.tensor([1.0, 2.0], dtype=tinynn.float32, requires_grad=True)
    b = tinynn.tensor([3.0, 4.0], dtype=tinynn.float64, requires_grad=True)
    out = a * b
    assert out.dtype == tinynn.float64
    out.sum().backward()
    assert a.grad.dtype == tinynn.float32 and b.grad.dtype == tinynn.float64
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder"])
def test_broadcast_mismatch_names_the_shapes(op):
    a, b = tinynn.ones(2, 3), tinynn.ones(4)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\) "
                                           r"at non-singleton dimension 1") as info:
        getattr(tinynn, op)(a, b)
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)


def test_broadcast_mismatch_in_graph_and_operator():
    a = tinynn.ones(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\) "
                                           r"at non-singleton dimension 0"):
        a * tinynn.ones(4, 1)


@pytest.mark.parametrize("expr", [lambda b: b - b, lambda b: b - 1, lambda b: 1.5 - b, lambda b: -b,
                                  lambda b: tinynn.ones(2) - b])
def test_bool_subtraction_and_negation_raise(expr):
    b = tinynn.tensor([True, False])
    with pytest.raises(RuntimeError, match="bool"):
        expr(b)


def test_integer_to_negative_power_raises():
    with pytest.raises(RuntimeError, match="negative integer powers"):
        tinynn.tensor([1, 2]) ** -1


# ---------------------------------------------------------------------------- in place
INPLACE = {
    "add_": lambda out, b: out.add_(2.0), "sub_": lambda out, b: out.sub_(b), "mul_": lambda out, b: out.mul_(b),
    "div_": lambda out, b: out.div_(4.0), "pow_": lambda out, b: out.pow_(2.0), "neg_": lambda out, b: out.neg_(),
    "clamp_": lambda out, b: out.clamp_(-0.2, 0.4), "clip_": lambda out, b: out.clip_(max=0.1),
    "lerp_": lambda out, b: out.lerp_(b, 0.25), "addcmul_": lambda out, b: out.addcmul_(b, b, value=0.5),
    "addcdiv_": lambda out, b: out.addcdiv_(b, b * b + 1, value=2), "+=": lambda out, b: out.__iadd__(b),
    "*=": lambda out, b: out.__imul__(b), "-=": lambda out, b: out.__isub__(3),
    "/=": lambda out, b: out.__itruediv__(b),
}


@needs_torch
@pytest.mark.parametrize("method", list(INPLACE))
def test_inplace_in_graph_matches_torch(method):
    def fn(a, b):
        out = a * 1.5
        result = INPLACE[method](out, b)
        assert result is out  # in-place methods return their tensor
        return out * b

    assert_matches_torch(fn, fn, rand(2, 3, seed=8), rand(3, seed=9, low=0.5, high=1.5))


def test_aliases_are_the_same_functions():
    a, b = tinynn.tensor([1.5, -2.0]), tinynn.tensor([0.5, 4.0])
    pairs = [(tinynn.clip(a, -1, 1), tinynn.clamp(a, -1, 1)), (a.clip(max=0.0), a.clamp(max=0.0)),
             (tinynn.divide(a, b), a / b), (tinynn.true_divide(a, b), a / b), (a.divide(b), a / b),
             (tinynn.multiply(a, b), a * b), (tinynn.subtract(a, b), a - b), (tinynn.neg(a), -a),
             (tinynn.negative(a), -a), (a.true_divide(b), a / b), (a.subtract(b, alpha=2), a - 2 * b)]
    for got, expected in pairs:
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "trunc"])
def test_integer_division_by_zero_raises_as_in_pytorch(name):
    a, b = tinynn.tensor([7, -7, 5]), tinynn.tensor([2, 0, 1])
    call = {"floor_divide": lambda: a // b, "remainder": lambda: a % b, "fmod": lambda: tinynn.fmod(a, b),
            "trunc": lambda: tinynn.div(a, b, rounding_mode="trunc")}[name]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call()
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tinynn.tensor([1, 2]) // 0
    # float division by zero is IEEE's, as in PyTorch
    assert (tinynn.tensor([1.0, -1.0]) // 0.0).tolist() == [math.inf, -math.inf]


@needs_torch
def test_integer_fmod_and_trunc_division_keep_integers_like_torch():
    a, b = [7, -7, 7, -7, 0, 9], [2, 2, -2, -2, 3, 4]
    for ours, theirs in [(tinynn.fmod, torch.fmod), (lambda x, y: tinynn.div(x, y, rounding_mode="trunc"),
                                                     lambda x, y: torch.div(x, y, rounding_mode="trunc")),
                         (tinynn.remainder, torch.remainder), (tinynn.floor_divide, torch.floor_divide)]:
        got, expected = ours(tinynn.tensor(a), tinynn.tensor(b)), theirs(torch.tensor(a), torch.tensor(b))
        assert got.tolist() == expected.tolist() and str(got.dtype) == str(expected.dtype).replace("torch.", "")
    assert tinynn.fmod(tinynn.tensor([5, -5]), 3).dtype == tinynn.int64
    assert tinynn.fmod(tinynn.tensor([5, -5]), 3.0).tolist() == [2.0, -2.0]
