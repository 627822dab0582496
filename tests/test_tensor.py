"""The Tensor class itself: sizes, conversions, devices, NumPy interop, error messages."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, leaf


def test_sizes():
    x = tinynn.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert x.stride() == (12, 4, 1) and x.element_size() == 4
    assert x.is_contiguous() and not x.transpose(0, 2).is_contiguous()
    with pytest.raises(IndexError, match="dimension out of range"):
        x.size(3)
    with pytest.raises(TypeError, match="0-d"):
        len(tinynn.tensor(1.0))


def test_legacy_constructor():
    assert tinynn.Tensor(2, 3).shape == (2, 3)
    t = tinynn.Tensor([1, 2])
    assert t.dtype == tinynn.float32 and t.tolist() == [1.0, 2.0]


@pytest.mark.cpu_only
def test_item_tolist_numpy_and_array_protocol():
    x = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x[1, 0].item() == 3.0 and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert np.shares_memory(x.numpy(), x._data)
    assert np.asarray(x).dtype == np.float32
    assert_close(np.add(np.asarray(x), 1), x + 1)
    with pytest.raises(RuntimeError, match="elements cannot be converted"):
        x.item()
    with pytest.raises(RuntimeError, match="detach"):
        leaf(np.ones(2)).numpy()


@pytest.mark.cpu_only
def test_numpy_array_on_the_left_defers_to_tensor():
    out = np.ones(3, dtype=np.float32) * tinynn.ones(3)
    assert isinstance(out, tinynn.Tensor)


def test_bool_float_int_index():
    assert bool(tinynn.tensor([1.0])) and float(tinynn.tensor(2.5)) == 2.5 and int(tinynn.tensor(3)) == 3
    assert [10, 20, 30][tinynn.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tinynn.ones(2))


def test_iteration_gives_rows_with_gradients():
    x = leaf(np.arange(6.0).reshape(3, 2))
    total = sum(row * i for i, row in enumerate(x))
    total.sum().backward()
    assert_close(x.grad, np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]))


@pytest.mark.cpu_only
def test_to_dtype_and_device_conversions():
    x = tinynn.tensor([1.5, 2.5])
    assert x.double().dtype == tinynn.float64 and x.long().tolist() == [1, 2]
    assert x.to(tinynn.float16).dtype == tinynn.float16 and x.half().dtype == tinynn.float16
    assert x.to("cpu") is x and x.cpu() is x and x.device == tinynn.device("cpu")
    assert x.to(x) is x
    assert x.to(tinynn.float32, copy=True) is not x
    assert x.bool().dtype == tinynn.bool and x.int().dtype == tinynn.int32


def test_dtype_cast_is_differentiable():
    x = leaf(np.array([1.0, 2.0]))
    y = x.float() * 3
    y.sum().backward()
    assert x.grad.dtype == tinynn.float64
    assert_close(x.grad, np.array([3.0, 3.0]))


def test_cuda_without_a_gpu_explains():
    if tinynn.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        tinynn.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        tinynn.zeros(2, device="cuda")
    assert tinynn.cuda.device_count() == 0


def test_device_objects():
    assert tinynn.device("cpu") == "cpu" and str(tinynn.device("cuda:1")) == "cuda:1"
    assert repr(tinynn.device("cuda", 0)) == "device(type='cuda', index=0)"
    with pytest.raises(ValueError, match="expected 'cpu' or 'cuda'"):
        tinynn.device("tpu")


def test_clone_is_a_copy_in_the_graph():
    x = leaf(np.ones(2))
    c = x.clone()
    assert not np.shares_memory(c._data, x._data)
    (c * 2).sum().backward()
    assert_close(x.grad, np.full(2, 2.0))


def test_data_property_is_detached_and_assignable():
    w = leaf(np.ones(2))
    assert not w.data.requires_grad
    w.data = tinynn.zeros(3, dtype=tinynn.float64)
    assert w.shape == (3,) and w.requires_grad


def test_requires_grad_of_non_leaf_cannot_be_switched_off():
    y = leaf(np.ones(2)) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_shape_mismatch_errors_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(3, 4\) and \(5, 2\).*4 != 5"):
        tinynn.ones(3, 4) @ tinynn.ones(5, 2)
    with pytest.raises(RuntimeError, match=r"\(3,\) and \(4,\) do not broadcast"):
        tinynn.ones(3) + tinynn.ones(4)


def test_python_scalars_do_not_upcast():
    x = tinynn.ones(3)
    assert (x * 2.0).dtype == tinynn.float32
    assert (2.5 - x).dtype == tinynn.float32
    assert (x ** 2).dtype == tinynn.float32
    assert (tinynn.tensor([1, 2]) / 2).dtype == tinynn.float32
    assert (tinynn.tensor([1, 2]) * 1.5).dtype == tinynn.float32
    assert (x * np.float64(2.0)).dtype == tinynn.float32


def test_assigning_grad_checks_type_dtype_shape_as_pytorch():
    w = tinynn.zeros(2, 3, requires_grad=True)
    with pytest.raises(TypeError, match="Tensor or None but got grad of type list"):
        w.grad = [[0.0] * 3] * 2
    with pytest.raises(RuntimeError, match="different type: float64"):
        w.grad = tinynn.zeros(2, 3, dtype=tinynn.float64)
    with pytest.raises(RuntimeError, match="different size: \\(3,\\)"):
        w.grad = tinynn.zeros(3)
    w.grad = tinynn.ones(2, 3)
    assert w.grad.tolist() == [[1.0] * 3] * 2
    del w.grad
    assert w.grad is None


@pytest.mark.parametrize("method, args, expected", [
    ("new_zeros", ((2, 3),), 0.0), ("new_ones", (2, 3), 1.0), ("new_full", ((2, 3), 7.0), 7.0),
    ("new_empty", ((2, 3),), None),
])
def test_new_tensor_methods_take_dtype_and_device_from_self(method, args, expected):
    x = tinynn.zeros(4, dtype=tinynn.float64)
    y = getattr(x, method)(*args)
    assert y.shape == (2, 3) and y.dtype == tinynn.float64 and y.device == x.device
    if expected is not None:
        assert (y == expected).all()
    assert getattr(x, method)(*args, dtype=tinynn.int64).dtype == tinynn.int64
    assert getattr(x, method)(*args, requires_grad=True).requires_grad


def test_new_tensor_copies_its_data_with_selfs_dtype():
    x = tinynn.zeros(1, dtype=tinynn.float64)
    source = tinynn.tensor([1.0, 2.0], requires_grad=True)
    y = x.new_tensor(source)
    assert y.dtype == tinynn.float64 and not y.requires_grad and y.tolist() == [1.0, 2.0]
    assert x.new_tensor([1, 2], dtype=tinynn.int32).dtype == tinynn.int32


def test_device_kind_flags_pytorch_programs_read():
    x = tinynn.ones(2)
    assert not (x.is_xpu or x.is_mps or x.is_meta or x.is_quantized or x.is_sparse or x.is_nested)


def test_legacy_new_pin_memory_and_data_ptr():
    x = tinynn.ones(2, dtype=tinynn.float64)
    assert x.new(3).shape == (3,) and x.new(3).dtype == tinynn.float64
    assert x.new([1, 2]).tolist() == [1.0, 2.0] and x.new().shape == (0,)
    assert x.pin_memory() is x and not x.is_pinned()
    assert x.data_ptr() == x.numpy().__array_interface__["data"][0]
    assert x[1:].data_ptr() == x.data_ptr() + 8                    # a view starts one float64 later
    assert tinynn.zeros(2, dtype=tinynn.uint16).dtype == tinynn.uint16


def test_tensors_and_parameters_pickle_and_copy_as_in_pytorch():
    import copy
    import pickle

    p = tinynn.nn.Parameter(tinynn.tensor([1.0, 2.0]))
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is tinynn.nn.Parameter and q.requires_grad and q.tolist() == [1.0, 2.0]
    shallow = copy.copy(p)
    assert type(shallow) is tinynn.nn.Parameter and shallow.requires_grad
    x = pickle.loads(pickle.dumps(tinynn.arange(3)))
    assert x.dtype == tinynn.int64 and not x.requires_grad and x.tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        pickle.dumps(p * 2)
    assert pickle.loads(pickle.dumps((p * 2).detach())).tolist() == [2.0, 4.0]


def test_ieee_results_inside_tinynn_are_silent_as_in_pytorch():
    """A program run with RuntimeWarnings as errors: tinynn's log(0) and 0/0 pass (PyTorch is silent
    too), NumPy used directly still warns. (In a subprocess: pytest resets the warning filters that a
    module installs while it is being collected.)"""
    import subprocess
    import sys

    quiet = "import tinynn; assert tinynn.log(tinynn.tensor([0.0])).item() == float('-inf'); (tinynn.zeros(1) / 0).item()"
    loud = "import numpy, tinynn; numpy.log(numpy.zeros(1))"
    run = lambda code: subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code],  # noqa: E731
                                      capture_output=True, text=True)
    assert run(quiet).returncode == 0, run(quiet).stderr
    result = run(loud)
    assert result.returncode != 0 and "divide by zero" in result.stderr


def test_python_number_conversions_of_several_elements_raise_as_in_pytorch():
    with pytest.raises(ValueError, match="only one element tensors"):
        float(tinynn.ones(2))
    with pytest.raises(ValueError, match="only one element tensors"):
        int(tinynn.ones(2))
    with pytest.raises(RuntimeError, match="cannot be converted"):
        tinynn.ones(2).item()
