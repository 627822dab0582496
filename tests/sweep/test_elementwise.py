"""Sweep: elementwise functions against PyTorch, over dtypes, shapes, special values and
type-promotion pairs (tensors of two dtypes, a 0-dim tensor, Python numbers on either side).
See tests/sweep/harness.py for what is compared."""
import operator

import pytest

from tests.helpers import needs_torch
from tests.sweep.harness import SPECIALS, Arg, Case, check_case, sweep_params

# the sweep compares results; NumPy's RuntimeWarnings and deprecation notices are not its subject
pytestmark = [needs_torch, pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")]

# one input of each kind a unary function meets
UNARY_INPUTS = [
    Arg((2, 3)), Arg(()), Arg((0, 3)), Arg((3, 2), t=True), Arg(values=SPECIALS, name="special"),
    Arg((2, 3), "f32"), Arg((2, 3), "f16"), Arg((2, 3), "i64"), Arg((2, 3), "i32"), Arg((2, 3), "bool"),
]

UNARY = [
    "abs", "absolute", "neg", "negative", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
    "sigmoid", "relu", "sign", "positive", "floor", "ceil", "round", "trunc", "fix", "frac", "reciprocal", "square",
    "erf", "erfinv", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not", "bitwise_not",
]


def _function(name):
    return lambda T, x: getattr(T, name)(x)


def _method(name):
    return lambda T, x: getattr(x, name)()


CASES = [Case(name, _function(name), x) for name in UNARY for x in UNARY_INPUTS]
CASES += [Case(f"Tensor.{name}", _method(name), x) for name in UNARY if name not in ("fix", "isposinf", "isneginf")
          for x in (Arg((2, 3), "f32"), Arg((2, 3), "i64"))]

# functions with arguments, over the same inputs
WITH_ARGS = {
    "clamp(-0.5,0.5)": lambda T, x: T.clamp(x, -0.5, 0.5),
    "clamp(min=0)": lambda T, x: T.clamp(x, min=0),
    "clamp(max=1.5)": lambda T, x: T.clamp(x, max=1.5),
    "clamp(min=2)": lambda T, x: T.clamp(x, min=2),
    "clamp(1,-1)": lambda T, x: T.clamp(x, 1, -1),
    "clip(-1,1)": lambda T, x: T.clip(x, -1, 1),
    "round(decimals=1)": lambda T, x: T.round(x, decimals=1),
    "pow(x,2)": lambda T, x: T.pow(x, 2),
    "pow(x,0.5)": lambda T, x: T.pow(x, 0.5),
    "pow(x,-1)": lambda T, x: T.pow(x, -1),
    "pow(x,0)": lambda T, x: T.pow(x, 0),
    "pow(2,x)": lambda T, x: T.pow(2, x),
    "pow(2.5,x)": lambda T, x: T.pow(2.5, x),
    "x**3": lambda T, x: x**3,
    "x**-2.0": lambda T, x: x**-2.0,
    "2**x": lambda T, x: 2**x,
    "-x": lambda T, x: -x,
    "~x": lambda T, x: ~x,
    "abs(x)": lambda T, x: abs(x),
    "+x": lambda T, x: +x,
}
CASES += [Case(name, fn, x) for name, fn in WITH_ARGS.items() for x in UNARY_INPUTS]

# ------------------------------------------------------------------------------ binary functions
PAIRS = [
    (Arg((2, 3)), Arg((3,))),                       # broadcasting
    (Arg((2, 1)), Arg((1, 3))),                     # both sides broadcast
    (Arg(()), Arg((2, 3))),                         # a 0-dim tensor
    (Arg((0, 3)), Arg((3,))),                       # empty
    (Arg((2, 3), t=True), Arg((2, 3))),             # non-contiguous
    (Arg(values=SPECIALS, name="special"), Arg(values=SPECIALS[::-1], name="special_rev")),
    (Arg((2, 3), "f32"), Arg((3,), "f64")),         # two float widths
    (Arg((2, 3), "f32"), Arg((), "f64")),           # a 0-dim tensor does not widen
    (Arg((2, 3), "i64"), Arg((2, 3), "f32")),
    (Arg((2, 3), "i32"), Arg((3,), "i64")),
    (Arg((2, 3), "i64"), Arg((), "f64")),           # a 0-dim tensor raises the category
    (Arg((2, 3), "i64"), Arg((2, 3), "i64", low=1)),
    (Arg((2, 3), "bool"), Arg((2, 3), "bool")),
    (Arg((2, 3), "bool"), Arg((3,), "i64")),
    (Arg((2, 3), "f16"), Arg((), "f32")),
    (Arg((2, 3), "u8", low=0), Arg((2, 3), "i8")),
    (Arg((2, 3)), 2),
    (Arg((2, 3)), 2.5),
    (Arg((2, 3), "f32"), 2.5),
    (Arg((2, 3), "i64"), 2),
    (Arg((2, 3), "i64"), 2.5),
    (Arg((2, 3), "i32"), True),
    (Arg((2, 3), "bool"), 2),
    (Arg((2, 3)), Arg((4,))),                       # shapes that do not broadcast
]

BINARY = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot", "copysign", "logaddexp",
    "logaddexp2", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_left_shift", "bitwise_right_shift",
]


def _binary(name):
    return lambda T, x, y: getattr(T, name)(x, y)


CASES += [Case(name, _binary(name), x, y) for name in BINARY for x, y in PAIRS]

KEYWORDS = {
    "div(floor)": lambda T, x, y: T.div(x, y, rounding_mode="floor"),
    "div(trunc)": lambda T, x, y: T.div(x, y, rounding_mode="trunc"),
    "add(alpha=2)": lambda T, x, y: T.add(x, y, alpha=2),
    "sub(alpha=0.5)": lambda T, x, y: T.sub(x, y, alpha=0.5),
    "isclose": lambda T, x, y: T.isclose(x, y),
}
CASES += [Case(name, fn, x, y) for name, fn in KEYWORDS.items() for x, y in PAIRS]

# operators, with a Python number or a 0-dim tensor on the left too
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
             "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
             "==": operator.eq, "<": operator.lt, ">=": operator.ge}
LEFT_OPERANDS = [(2, Arg((2, 3))), (2.5, Arg((2, 3), "f32")), (3, Arg((2, 3), "i64")),
                 (1.5, Arg((2, 3), "i32")), (True, Arg((2, 3), "bool")), (-3, Arg((2, 3), "bool")),
                 (Arg((), "i64"), Arg((2, 3), "f16"))]


def _operator(fn):
    return lambda T, x, y: fn(x, y)


CASES += [Case(f"x{sym}y", _operator(fn), x, y) for sym, fn in OPERATORS.items() for x, y in PAIRS[-8:-1]]
CASES += [Case(f"x{sym}y", _operator(fn), x, y) for sym, fn in OPERATORS.items() for x, y in LEFT_OPERANDS]

# ternary functions
TERNARY = [
    Case("lerp", lambda T, a, b, w: T.lerp(a, b, w), Arg((2, 3)), Arg((3,)), 0.3),
    Case("lerp", lambda T, a, b, w: T.lerp(a, b, w), Arg((2, 3)), Arg((2, 3)), Arg((2, 1))),
    Case("lerp", lambda T, a, b, w: T.lerp(a, b, w), Arg((2, 3), "f32"), Arg((2, 3), "f32"), Arg((), "f32")),
    Case("lerp", lambda T, a, b, w: T.lerp(a, b, w), Arg((2, 3), "f32"), Arg((2, 3)), 0.5),
    Case("addcmul", lambda T, a, b, c: T.addcmul(a, b, c, value=0.5), Arg((2, 3)), Arg((3,)), Arg((2, 1))),
    Case("addcmul", lambda T, a, b, c: T.addcmul(a, b, c), Arg((2, 3), "i64"), Arg((3,), "i64"), Arg((2, 1), "i64")),
    Case("addcdiv", lambda T, a, b, c: T.addcdiv(a, b, c, value=2), Arg((2, 3)), Arg((3,)), Arg((2, 1))),
    Case("addcdiv", lambda T, a, b, c: T.addcdiv(a, b, c), Arg((2, 3), "i64"), Arg((3,), "i64"), Arg((2, 1), "i64")),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "bool"), Arg((2, 3)), Arg((3,))),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "bool"), Arg((2, 3), "f32"), 0.0),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "bool"), 1, 0),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "bool"), 1.0, Arg((2, 3), "i64")),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "bool"), Arg((2, 3), "i32"), Arg((), "f64")),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "i64"), Arg((2, 3)), Arg((2, 3))),
    Case("where", lambda T, c, x, y: T.where(c, x, y), Arg((2, 3), "bool"), Arg((2, 3)), Arg((4,))),
    Case("clamp(t,t)", lambda T, x, lo, hi: T.clamp(x, lo, hi), Arg((2, 3)), Arg((3,)), Arg((2, 1))),
    Case("clamp(t,t)", lambda T, x, lo, hi: T.clamp(x, lo, hi), Arg((2, 3), "i64"), Arg((3,)), None),
    Case("clamp(t,t)", lambda T, x, lo, hi: T.clamp(x, lo, hi), Arg((2, 3), "f32"), Arg((), "f64"), None),
]
CASES += TERNARY

NUMBER_OPERAND = ("tinynn accepts a Python number where PyTorch's function wants a tensor "
                  "(documented in ops/binary.py, ops/minmax.py, ops/compare.py)")
DIFFERENCES = {
    **{f"{name}(*,[0-9T]*)": NUMBER_OPERAND for name in ("maximum", "minimum", "fmax", "fmin", "atan2", "arctan2",
                                                         "logical_and", "logical_or", "logical_xor", "isclose")},
    **{f"{name}{args}": NUMBER_OPERAND for name in ("hypot", "logaddexp", "logaddexp2")
       for args in ("(*,2.5)", "(f64[2x3],2)")},  # (with two integers both refuse)
    "pow(x,0.5)(f64:special)": "PyTorch computes x ** -0.5 (in this gradient) as rsqrt: -inf at -0.0 and nan at "
                               "-inf, where C's pow (and tinynn) give +inf and 0",
    **{f"{op}({args})": "floor_divide's derivative is 0 in tinynn (as for div(rounding_mode='floor')); PyTorch "
                        "raises in backward (documented in ops/arithmetic.py)"
       for op, args_list in (("floor_divide", ("f64[2x3],f64[3]", "f64[2x1],f64[1x3]", "f64[],f64[2x3]",
                                               "f64[0x3],f64[3]", "f64[2x3]T,f64[2x3]", "f64:special,f64:special_rev",
                                               "f32[2x3],f64[3]", "f32[2x3],f64[]", "i64[2x3],f64[]", "f64[2x3],2",
                                               "f64[2x3],2.5")),
                             ("x//y", ("f64[2x3],2", "f64[2x3],2.5", "2,f64[2x3]")))
       for args in args_list},
    "x%y(2,f64?2x3?)": "tinynn differentiates remainder(number, tensor) with PyTorch's two-tensor formula; "
                       "PyTorch raises in backward for the number-first form",
}


@pytest.mark.parametrize("case", sweep_params(CASES, DIFFERENCES))
def test_elementwise(case):
    check_case(case)
