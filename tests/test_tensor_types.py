"""The legacy typed constructors (tinynn/tensor_types.py), Size and broadcast_shapes (tinynn/creation.py)."""
import pytest

import tinynn


@pytest.mark.parametrize("name, dtype", [
    ("FloatTensor", tinynn.float32), ("DoubleTensor", tinynn.float64), ("HalfTensor", tinynn.float16),
    ("LongTensor", tinynn.int64), ("IntTensor", tinynn.int32), ("BoolTensor", tinynn.bool), ("ByteTensor", tinynn.uint8),
])
def test_legacy_constructors_make_tensors_of_their_dtype(name, dtype):
    cls = getattr(tinynn, name)
    from_data = cls([1, 0, 1])
    assert from_data.dtype == dtype and from_data.tolist() == [cls([1, 0, 1]).tolist()[i] for i in range(3)]
    assert cls(2, 3).shape == (2, 3) and cls(2, 3).dtype == dtype        # sizes: uninitialised
    assert cls().shape == (0,)
    assert isinstance(from_data, cls) and not isinstance(from_data, getattr(tinynn.cuda, name))
    assert not isinstance(tinynn.zeros(1, dtype=tinynn.float64 if dtype != tinynn.float64 else tinynn.float32), cls)
    assert tinynn.tensor([1, 2]).type(cls).dtype == dtype
    assert tinynn.tensor([1, 2]).type(f"torch.{name}").dtype == dtype


def test_type_names_and_typename():
    x = tinynn.tensor([1.0])
    assert x.type() == "tinynn.FloatTensor" and tinynn.typename(x) == "torch.FloatTensor"
    assert tinynn.FloatTensor([1.5, 2.5]).tolist() == [1.5, 2.5]
    assert tinynn.LongTensor([1.7]).tolist() == [1]


def test_size_and_broadcast_shapes():
    size = tinynn.Size([2, 3])
    assert size == (2, 3) == tinynn.zeros(2, 3).shape and size.numel() == 6 and repr(size) == "tinynn.Size([2, 3])"
    assert tinynn.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        tinynn.broadcast_shapes((2,), (3,))


def test_is_nonzero_and_dtype_class():
    assert tinynn.is_nonzero(tinynn.tensor([2])) and not tinynn.is_nonzero(tinynn.tensor(0.0))
    with pytest.raises(RuntimeError, match="2 elements"):
        tinynn.is_nonzero(tinynn.tensor([1, 2]))
    assert isinstance(tinynn.float32, tinynn.dtype) and isinstance(tinynn.ones(1).dtype, tinynn.dtype)
