"""Making tensors (tinynn/creation.py): dtype inference, filled tensors, ranges, NumPy interop."""
import numpy as np
import pytest

import tinynn
from tests.helpers import needs_torch, torch


# ---------------------------------------------------------------------------- tensor()
@pytest.mark.parametrize("data, dtype, shape", [
    (1.5, tinynn.float32, ()),
    (3, tinynn.int64, ()),
    (True, tinynn.bool, ()),
    ([1, 2], tinynn.int64, (2,)),
    ([1, 2.5], tinynn.float32, (2,)),
    ([True, False], tinynn.bool, (2,)),
    ([1, True], tinynn.int64, (2,)),
    ([[1.0, 2.0], [3.0, 4.0]], tinynn.float32, (2, 2)),
    ([[[1], [2]]], tinynn.int64, (1, 2, 1)),
    ([], tinynn.float32, (0,)),
    ([[], []], tinynn.float32, (2, 0)),
    (np.array([1, 2], dtype=np.int32), tinynn.int32, (2,)),
    (np.array([1.0, 2.0]), tinynn.float64, (2,)),
    (np.array([1, 2], dtype=np.uint8), tinynn.uint8, (2,)),
    (np.float64(1.5), tinynn.float64, ()),
    ([np.float64(1.5), np.float64(2.5)], tinynn.float64, (2,)),
    ([tinynn.tensor(1.0), tinynn.tensor(2.0)], tinynn.float32, (2,)),
])
def test_tensor_infers_dtype_and_shape(data, dtype, shape):
    t = tinynn.tensor(data)
    assert t.dtype == dtype and t.shape == shape


def test_tensor_values_and_explicit_dtype():
    t = tinynn.tensor([[1, 2], [3, 4]], dtype=tinynn.float64)
    assert t.dtype == tinynn.float64 and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert tinynn.tensor([1.7, -1.7], dtype=tinynn.int64).tolist() == [1, -1]  # truncation, as in PyTorch
    assert tinynn.tensor(2.5, dtype=float).dtype == tinynn.float64  # the Python type float means float64
    assert tinynn.tensor([1, 2], dtype=int).dtype == tinynn.int64


@pytest.mark.parametrize("data, error, message", [
    ([[1, 2], [3]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ([[[1, 2], [3, 4]], [[1, 2], [3]]], ValueError, r"expected sequence of length 2 at dim 2 \(got 1\)"),
    ([[1, 2], 3], ValueError, "dim 1"),
    ("ab", TypeError, "strings are not numbers"),
    (["a", "b"], TypeError, "strings are not numbers"),
    ([2**63], OverflowError, "too large for int64"),
    ([{1: 2}], TypeError, "could not infer a dtype"),
    (np.array([object()]), TypeError, "dtype object"),
])
def test_tensor_rejects_bad_data_clearly(data, error, message):
    with pytest.raises(error, match=message):
        tinynn.tensor(data)


def test_tensor_copies_its_data():
    array = np.array([1.0, 2.0])
    t = tinynn.tensor(array)
    array[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    source = tinynn.tensor([1.0, 2.0])
    copy = tinynn.tensor(source)
    source[0] = 7.0
    assert copy.tolist() == [1.0, 2.0]


def test_requires_grad_kwarg_and_integer_refusal():
    assert tinynn.tensor([1.0], requires_grad=True).requires_grad
    assert tinynn.zeros(2, requires_grad=True).requires_grad
    for make in (lambda: tinynn.tensor([1, 2], requires_grad=True),
                 lambda: tinynn.zeros(2, dtype=tinynn.int64, requires_grad=True),
                 lambda: tinynn.arange(3, requires_grad=True)):
        with pytest.raises(RuntimeError, match="only tensors of floating point dtype can require gradients"):
            make()


# ---------------------------------------------------------------------------- filled tensors
def test_zeros_ones_full_empty_shapes_and_dtypes():
    assert tinynn.zeros(2, 3).shape == tinynn.zeros((2, 3)).shape == tinynn.zeros([2, 3]).shape == (2, 3)
    assert tinynn.zeros(2, 3).dtype == tinynn.float32 and not tinynn.zeros(2).requires_grad
    assert tinynn.ones(2, dtype=tinynn.int32).tolist() == [1, 1] and tinynn.ones(2, dtype=tinynn.int32).dtype == tinynn.int32
    assert tinynn.ones(2, dtype=tinynn.bool).tolist() == [True, True]
    assert tinynn.zeros(()).shape == () and tinynn.zeros(0).shape == (0,) and tinynn.zeros(2, 0).numel() == 0
    assert tinynn.full((2,), 3).dtype == tinynn.int64 and tinynn.full((2,), 3).tolist() == [3, 3]
    assert tinynn.full((2,), 2.5).dtype == tinynn.float32 and tinynn.full((2,), 2.5).tolist() == [2.5, 2.5]
    assert tinynn.full((2,), True).dtype == tinynn.bool
    assert tinynn.full((1, 2), 7, dtype=tinynn.float64).tolist() == [[7.0, 7.0]]
    assert tinynn.empty(3, 2).shape == (3, 2) and tinynn.empty(3, dtype=tinynn.int8).dtype == tinynn.int8
    with pytest.raises(RuntimeError, match="negative dimension"):
        tinynn.zeros(2, -1)


def test_like_functions_keep_shape_and_dtype_unless_told():
    ints = tinynn.tensor([[1, 2, 3]])
    assert tinynn.zeros_like(ints).tolist() == [[0, 0, 0]] and tinynn.zeros_like(ints).dtype == tinynn.int64
    assert tinynn.ones_like(ints, dtype=tinynn.float32).tolist() == [[1.0, 1.0, 1.0]]
    assert tinynn.full_like(ints, 2.7).tolist() == [[2, 2, 2]]  # the fill is cast to int64, as in PyTorch
    assert tinynn.empty_like(ints).shape == (1, 3) and tinynn.empty_like(ints).dtype == tinynn.int64
    assert tinynn.rand_like(tinynn.zeros(2, 2, dtype=tinynn.float64)).dtype == tinynn.float64
    assert tinynn.randn_like(tinynn.zeros(4)).shape == (4,)
    assert tinynn.zeros_like(tinynn.zeros(2), requires_grad=True).requires_grad


def test_eye():
    assert tinynn.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tinynn.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert tinynn.eye(3, dtype=tinynn.int64).dtype == tinynn.int64 and tinynn.eye(3).dtype == tinynn.float32


# ---------------------------------------------------------------------------- ranges
@pytest.mark.parametrize("args, dtype, values", [
    ((5,), tinynn.int64, [0, 1, 2, 3, 4]),
    ((2, 8, 3), tinynn.int64, [2, 5]),
    ((5, 0, -2), tinynn.int64, [5, 3, 1]),
    ((0.5, 3), tinynn.float32, [0.5, 1.5, 2.5]),
    ((1.0, 0.0, -0.25), tinynn.float32, [1.0, 0.75, 0.5, 0.25]),
    ((0, 3, 1), tinynn.int64, [0, 1, 2]),
])
def test_arange_values_and_dtype(args, dtype, values):
    t = tinynn.arange(*args)
    assert t.dtype == dtype and t.tolist() == values


def test_arange_dtype_kwarg_errors_and_tensor_bounds():
    assert tinynn.arange(3, dtype=tinynn.float64).tolist() == [0.0, 1.0, 2.0]
    assert tinynn.arange(3, dtype=tinynn.float64).dtype == tinynn.float64
    assert tinynn.arange(tinynn.tensor(3)).tolist() == [0, 1, 2]
    assert tinynn.arange(0, 1, 0.1).shape == (10,)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        tinynn.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        tinynn.arange(0, 1, -0.1)


# Short float ranges: PyTorch's values are start + i * step rounded once, and so are ours.
EXACT_RANGES = [(0, 1, 0.1), (-1.5, 1.5, 0.3), (1, 0, -0.07), (0, 2, 0.25), (-4, 4, 0.5), (0.5, 3),
                (1.0, 0.0, -0.25), (0.0, 1e-3, 1e-4), (0, 1, 1 / 3), (10, 0, -3)]


@needs_torch
@pytest.mark.parametrize("args", EXACT_RANGES)
@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_arange_matches_torch_exactly(args, dtype):
    ours = tinynn.arange(*args, **({} if dtype is None else {"dtype": getattr(tinynn, dtype)}))
    theirs = torch.arange(*args, **({} if dtype is None else {"dtype": getattr(torch, dtype)}))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert np.array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("args", [(0.3, 100.0, 0.37), (-5.0, 5.0, 0.013), (0, 10, 0.1)])
def test_long_float32_ranges_are_within_an_ulp_of_torch(args):
    # PyTorch's CPU kernel computes long float32 ranges in SIMD blocks (8 lanes from a rounded base
    # on AVX2), so its last bit depends on the machine; ours is start + i * step rounded once.
    ours, theirs = tinynn.arange(*args).numpy(), torch.arange(*args).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2 * np.finfo(np.float32).eps * np.abs(theirs).max())


@pytest.mark.parametrize("args, values", [
    ((0, 1, 5), [0.0, 0.25, 0.5, 0.75, 1.0]),
    ((0, 1, 1), [0.0]),
    ((0, 1, 0), []),
    ((-1, 1, 3), [-1.0, 0.0, 1.0]),
    ((1, -1, 3), [1.0, 0.0, -1.0]),
])
def test_linspace_values(args, values):
    t = tinynn.linspace(*args)
    assert t.dtype == tinynn.float32 and t.tolist() == values


def test_linspace_dtype_and_errors():
    assert tinynn.linspace(0, 10, 5, dtype=tinynn.int64).tolist() == [0, 2, 5, 7, 10]
    assert tinynn.linspace(0, 1, 3, dtype=tinynn.float64).dtype == tinynn.float64
    assert tinynn.linspace(0, 1, 3, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="non-negative"):
        tinynn.linspace(0, 1, -1)


@needs_torch
@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 4), (0.1, 0.9, 33), (-3.3, 7.7, 101), (1e-3, 1e3, 17), (5, -5, 12)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_linspace_matches_torch_exactly(args, dtype):
    ours = tinynn.linspace(*args, dtype=getattr(tinynn, dtype)).numpy()
    theirs = torch.linspace(*args, dtype=getattr(torch, dtype)).numpy()
    assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)


# ---------------------------------------------------------------------------- NumPy interop
def test_from_numpy_shares_memory_both_ways():
    array = np.array([1.0, 2.0, 3.0])
    t = tinynn.from_numpy(array)
    assert t.dtype == tinynn.float64
    array[0] = 10.0
    assert t.tolist() == [10.0, 2.0, 3.0]
    t[1] = 20.0
    t.add_(1.0)
    assert array.tolist() == [11.0, 21.0, 4.0]
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tinynn.from_numpy([1.0, 2.0])


@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
def test_numpy_shares_memory_and_refuses_grad_tensors_with_a_hint():
    t = tinynn.tensor([1, 2, 3])
    t.numpy()[0] = 9
    assert t.tolist() == [9, 2, 3]
    w = tinynn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"use tensor\.detach\(\)\.numpy\(\)"):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0]
    assert w.numpy(force=True).tolist() == [1.0]


@pytest.mark.cpu_only
def test_as_tensor_shares_memory_unless_converting():
    array = np.array([1.0, 2.0])
    shared = tinynn.as_tensor(array)
    converted = tinynn.as_tensor(array, dtype=tinynn.float32)
    array[0] = 5.0
    assert shared.tolist() == [5.0, 2.0] and converted.tolist() == [1.0, 2.0]
    t = tinynn.tensor([1.0])
    assert tinynn.as_tensor(t) is t
    assert tinynn.as_tensor([1, 2]).dtype == tinynn.int64


@pytest.mark.cpu_only
def test_array_protocol_and_mixing_with_numpy():
    t = tinynn.tensor([[1.0, 2.0]])
    assert np.asarray(t).tolist() == [[1.0, 2.0]] and np.asarray(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    product = np.array([[2.0, 3.0]]) * t  # NumPy defers to the tensor's operators
    assert isinstance(product, tinynn.Tensor) and product.tolist() == [[2.0, 6.0]]


def test_item_and_tolist():
    assert tinynn.tensor(2.5).item() == 2.5 and type(tinynn.tensor(2.5).item()) is float
    assert type(tinynn.tensor([3]).item()) is int and tinynn.tensor([[3]]).item() == 3
    assert tinynn.tensor(True).item() is True
    assert tinynn.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert tinynn.tensor(1.5).tolist() == 1.5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to a Python number"):
        tinynn.tensor([1, 2]).item()


# ---------------------------------------------------------------------------- against PyTorch
CREATIONS = [
    "zeros(2, 3)", "ones(4, dtype={m}.int32)", "full((2, 2), 1.5)", "full((3,), 7)", "eye(3, 2)",
    "arange(10)", "arange(-3, 3)", "arange(2.5)", "arange(0, -5, -1.5)", "linspace(-2, 2, 9)",
    "tensor([[1, 2], [3, 4]])", "tensor([0.1, 0.2])", "tensor([True, False])", "tensor(7)",
    "zeros_like({m}.tensor([1, 2]))", "full_like({m}.tensor([1.0, 2.0]), 3)", "ones(2, 0)",
    "tensor([[1, 2]], dtype={m}.float16)", "tensor([], dtype={m}.int64)",
]


@needs_torch
@pytest.mark.parametrize("expression", CREATIONS)
def test_creation_matches_torch(expression):
    ours = eval("tinynn." + expression.format(m="tinynn"))
    theirs = eval("torch." + expression.format(m="torch"))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.shape == tuple(theirs.shape)
    assert np.array_equal(ours.numpy(), theirs.numpy())


def test_python_floats_go_straight_to_the_requested_dtype():
    # not through float32 first: 0.2 in float64 is the float64 nearest to 0.2
    assert tinynn.tensor(0.2, dtype=tinynn.float64).item() == 0.2
    assert tinynn.tensor([0.1, 0.2], dtype=tinynn.float64).tolist() == [0.1, 0.2]
    assert tinynn.tensor(0.2).dtype == tinynn.float32


@pytest.mark.parametrize("make, message", [
    (lambda: tinynn.randn(-1), "negative dimension"),
    (lambda: tinynn.rand(2, -3), "negative dimension"),
    (lambda: tinynn.randint(0, 5, (2, -1)), "negative dimension"),
    (lambda: tinynn.normal(0.0, 1.0, (-2,)), "negative dimension"),
    (lambda: tinynn.empty(-1, 2), "negative dimension"),
    (lambda: tinynn.eye(-1), "n must be greater or equal to 0, got -1"),
    (lambda: tinynn.eye(2, -1), "m must be greater or equal to 0, got -1"),
    (lambda: tinynn.randperm(-3), "non-negative"),
])
def test_negative_sizes_raise_a_clear_runtime_error(make, message):
    with pytest.raises(RuntimeError, match=message):
        make()


def test_full_checks_its_fill_value():
    with pytest.raises(TypeError, match="fill_value' must be a number, not str"):
        tinynn.full((2,), "a")
    with pytest.raises(TypeError, match="not NoneType"):
        tinynn.full((2,), None)
    assert tinynn.full((2,), tinynn.tensor(3.5)).tolist() == [3.5, 3.5]   # a 0-dim tensor is a number
    assert tinynn.full((2,), True).dtype == tinynn.bool and tinynn.full((2,), 1).dtype == tinynn.int64


def test_linspace_refuses_bool():
    with pytest.raises(NotImplementedError, match="bool"):
        tinynn.linspace(0, 1, 5, dtype=tinynn.bool)


def test_sizes_by_keyword_as_pytorch_accepts_them():
    for make in (tinynn.zeros, tinynn.ones, tinynn.empty, tinynn.rand, tinynn.randn):
        assert make(size=(2, 3)).shape == (2, 3)
    assert tinynn.zeros(size=[4]).shape == (4,)
    assert tinynn.zeros(2, dtype=tinynn.float64, layout=tinynn.strided).dtype == tinynn.float64
    with pytest.raises(RuntimeError, match="only dense"):
        tinynn.zeros(2, layout=tinynn.sparse_coo)
    with pytest.raises(TypeError, match="both"):
        tinynn.zeros(2, size=(3,))
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        tinynn.ones(2, colour="red")
