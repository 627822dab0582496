"""dtypes and PyTorch's type promotion (tinynn/dtypes.py), default dtype, conversions."""
import itertools

import numpy as np
import pytest

import tinynn
from tinynn.dtypes import promote_types, result_type
from tests.helpers import needs_torch, torch

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
# Each operand kind, made by the library ``lib`` (tinynn or torch) from a dtype name.
KINDS = {
    "tensor": lambda lib, name: lib.ones(3, dtype=getattr(lib, name)),
    "0-dim": lambda lib, name: lib.ones((), dtype=getattr(lib, name)),
}
PYTHON_SCALARS = {"int": 2, "float": 2.5, "bool": True}


def operands():
    """Every operand: (label, maker) with maker(lib) -> a tensor or a Python number."""
    found = [(f"{kind}:{name}", lambda lib, k=kind, n=name: KINDS[k](lib, n)) for kind in KINDS for name in DTYPES]
    found += [(label, lambda lib, v=value: v) for label, value in PYTHON_SCALARS.items()]
    return found


PAIRS = [(a, b) for a, b in itertools.product(operands(), repeat=2) if not (a[0] in PYTHON_SCALARS and b[0] in PYTHON_SCALARS)]
BINARY_OPS = {
    "add": lambda lib, x, y: x + y,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y,
    "pow": lambda lib, x, y: x ** y,
    "floor_divide": lambda lib, x, y: x // y,
    "remainder": lambda lib, x, y: x % y,
    "eq": lambda lib, x, y: x == y,
    "lt": lambda lib, x, y: x < y,
    "where": lambda lib, x, y: lib.where(lib.ones(3, dtype=lib.bool), x, y),
}


def outcome(lib, op, a, b) -> str:
    """The result's dtype name, or 'error' (the two libraries' messages differ)."""
    try:
        result = BINARY_OPS[op](lib, a(lib), b(lib))
    except (RuntimeError, TypeError, NotImplementedError, ValueError):
        return "error"
    return str(result.dtype).replace("torch.", "")


@needs_torch
@pytest.mark.parametrize("op", list(BINARY_OPS))
def test_binary_op_result_dtypes_match_torch(op):
    mismatches = []
    for (a_label, a), (b_label, b) in PAIRS:
        ours, theirs = outcome(tinynn, op, a, b), outcome(torch, op, a, b)
        if ours != theirs:
            mismatches.append(f"{a_label} {op} {b_label}: tinynn {ours}, torch {theirs}")
    assert not mismatches, "\n".join(mismatches)
    assert len(PAIRS) == 16 * 16 + 2 * 16 * 3  # tensors and 0-dim tensors with everything


@pytest.mark.parametrize("a, b, expected", [
    ("int64", "float16", "float16"), ("int32", "float32", "float32"), ("uint8", "int8", "int16"),
    ("bool", "uint8", "uint8"), ("float16", "float32", "float32"), ("bool", "float16", "float16"),
    ("int8", "int64", "int64"), ("uint8", "float64", "float64"), ("bool", "bool", "bool"),
])
def test_promote_types(a, b, expected):
    assert promote_types(np.dtype(a), np.dtype(b)) == np.dtype(expected)
    assert promote_types(np.dtype(b), np.dtype(a)) == np.dtype(expected)


@pytest.mark.parametrize("operands, expected", [
    ((np.ones(2, np.float16), 2.5), "float16"),          # a Python float never widens a float tensor
    ((np.ones(2, np.int32), 2.5), "float32"),            # ... but lifts an int tensor to the default
    ((np.ones(2, np.int32), np.ones((), np.float64)), "float64"),       # a 0-dim float over an int tensor
    ((np.ones(2, np.float32), np.ones((), np.float64)), "float32"),     # 0-dim same category: no widening
    ((np.ones(2, np.uint8), 300), "uint8"),
    ((np.ones(2, np.bool_), 3), "int64"),
    ((np.ones((), np.int32), np.ones((), np.int64)), "int64"),
    ((np.ones(2, np.int8), np.ones(2, np.float16)), "float16"),
])
def test_result_type_tiers(operands, expected):
    assert result_type(*operands) == np.dtype(expected)


@pytest.fixture
def default_float64():
    tinynn.set_default_dtype(tinynn.float64)
    yield
    tinynn.set_default_dtype(tinynn.float32)


def test_float32_is_the_default():
    assert tinynn.get_default_dtype() == tinynn.float32
    assert tinynn.tensor([1.5]).dtype == tinynn.float32 and tinynn.rand(2).dtype == tinynn.float32
    assert (tinynn.tensor([1, 2]) / 2).dtype == tinynn.float32
    assert (tinynn.tensor([1, 2]) * 1.5).dtype == tinynn.float32


@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
def test_set_default_dtype_changes_new_float_tensors(default_float64):
    assert tinynn.get_default_dtype() == tinynn.float64
    assert tinynn.tensor([1.5]).dtype == tinynn.float64
    assert tinynn.zeros(2).dtype == tinynn.float64 and tinynn.randn(2).dtype == tinynn.float64
    assert tinynn.arange(0.5, 2).dtype == tinynn.float64 and tinynn.linspace(0, 1, 3).dtype == tinynn.float64
    assert (tinynn.tensor([1, 2]) * 1.5).dtype == tinynn.float64
    assert (tinynn.ones(2, dtype=tinynn.float32) * 1.5).dtype == tinynn.float32  # existing tensors keep theirs
    assert tinynn.tensor([1, 2]).dtype == tinynn.int64
    assert repr(tinynn.tensor([1.5])) == "tensor([1.5000])"
    assert repr(tinynn.tensor([1.5], dtype=tinynn.float32)) == "tensor([1.5000], dtype=tinynn.float32)"


def test_set_default_dtype_refuses_non_floats():
    with pytest.raises(TypeError, match="expected a floating dtype, got int64"):
        tinynn.set_default_dtype(tinynn.int64)
    assert tinynn.get_default_dtype() == tinynn.float32


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "bool"])
def test_integer_tensors_cannot_require_grad(dtype):
    t = tinynn.zeros(2, dtype=getattr(tinynn, dtype))
    with pytest.raises(RuntimeError, match=f"only tensors of floating point dtype can require gradients, got {dtype}"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match=r"convert with \.float\(\) first"):
        t.requires_grad = True
    assert not t.requires_grad


def test_dtype_names_are_numpy_dtypes():
    assert tinynn.float32 == np.dtype("float32") and tinynn.float == tinynn.float32
    assert tinynn.double == tinynn.float64 and tinynn.half == tinynn.float16
    assert tinynn.long == tinynn.int64 and tinynn.int == tinynn.int32 and tinynn.short == tinynn.int16
    assert [str(getattr(tinynn, name)) for name in DTYPES] == DTYPES


@pytest.mark.parametrize("method, dtype", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
    ("int", "int32"), ("bool", "bool"), ("byte", "uint8"),
])
@pytest.mark.cpu_only
def test_conversion_methods(method, dtype):
    t = getattr(tinynn.tensor([-1.7, 0.0, 2.9]), method)()
    assert t.dtype == np.dtype(dtype)
    expected = {"long": [-1, 0, 2], "int": [-1, 0, 2], "bool": [True, False, True], "byte": [255, 0, 2]}
    if method in expected:
        assert t.tolist() == expected[method]


@pytest.mark.cpu_only
def test_to_forms_and_gradients_through_casts():
    t = tinynn.tensor([1.0, 2.0])
    assert t.to(tinynn.float64).dtype == tinynn.float64
    assert t.to("cpu") is t and t.to(tinynn.float32) is t
    assert t.to("cpu", tinynn.int64).tolist() == [1, 2]
    assert t.to(dtype=tinynn.float16).dtype == tinynn.float16
    assert t.to(tinynn.tensor([1], dtype=tinynn.int32)).dtype == tinynn.int32
    copy = t.to(tinynn.float32, copy=True)
    copy[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    w = tinynn.tensor([1.0, 2.0], requires_grad=True)
    (w.double() * 3).sum().backward()
    assert w.grad.dtype == tinynn.float32 and w.grad.tolist() == [3.0, 3.0]
    assert w.double().grad_fn is not None and w.long().grad_fn is None


@pytest.mark.xfail(strict=True, reason="ops/compare.py _integer_only: & | ^ use NumPy's promotion, not the 0-dim tier")
def test_bitwise_ops_keep_the_tensor_dtype_against_a_0dim_tensor():
    assert (tinynn.ones(3, dtype=tinynn.uint8) & tinynn.ones((), dtype=tinynn.int64)).dtype == tinynn.uint8
