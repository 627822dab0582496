"""The Tensor: an array, and the place it holds in the graph of operations that made it.

A tensor wraps a raw array (``numpy.ndarray``, or ``cupy.ndarray`` on a GPU) in ``_data``.
When it ``requires_grad``, the operations applied to it record a graph: each result keeps
``grad_fn``, the node that made it, and ``backward()`` walks that graph to fill ``.grad``.

The mathematical methods (``exp``, ``sum``, ``reshape``, ...), the conversions (``to``, ``float``,
...) and the in-place writes (``fill_``, ``x[i] = v``, ``add_``, ...) live in ``tinynn.ops`` and are
attached to the class in ``tinynn/ops/methods.py``; this file holds what a tensor *is*, and imports
nothing from the ops (which import it).
"""
from __future__ import annotations

import numpy as np

from . import backend, dtypes
from .dims import wrap_dim


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` makes a float32 tensor (PyTorch's legacy constructor); ``Tensor(2, 3)``
    an uninitialised 2x3 one. Prefer ``tinynn.tensor(data, dtype=..., requires_grad=...)``.
    """

    __slots__ = (
        "_data",             # the raw array
        "_requires_grad",
        "_grad",             # accumulated gradient (a Tensor) for leaves, or retained non-leaves
        "grad_fn",           # the graph node that made this tensor (None for leaves)
        "_output_nr",        # which output of grad_fn this tensor is
        "_version_counter",  # [n]: bumped by every in-place change, shared with views
        "_base",             # the tensor this one is a view of, if any
        "_views",            # weak references to the views taken of this tensor (None before the first)
        "_retains_grad",
        "_hooks",            # gradient hooks of a leaf
        "__weakref__",
    )

    # Make NumPy defer to our reflected operators: ``ndarray * tensor`` gives a Tensor.
    __array_ufunc__ = None

    def __init__(self, *args, requires_grad: bool = False, device=None, dtype=None):
        if len(args) == 1 and not isinstance(args[0], int):
            from .creation import tensor as make_tensor

            source = make_tensor(args[0], dtype=dtype or dtypes.get_default_dtype(), device=device)
            array = source._data
        elif all(isinstance(a, (int, np.integer)) for a in args):
            xp = backend.array_module(backend.as_device(device))
            array = xp.empty(tuple(int(a) for a in args), dtype=dtype or dtypes.get_default_dtype())
        else:
            raise TypeError(f"Tensor(): expected data or integer sizes, got {args!r}")
        _init(self, array)
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(array, requires_grad: bool = False, grad_fn=None, output_nr: int = 0) -> "Tensor":
        """Wrap a raw array without copying or checking (the ops' fast path)."""
        t = _new(Tensor)
        _init(t, array, requires_grad, grad_fn, output_nr)
        return t

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> "Tensor":
        """The same numbers as a tensor outside the graph (changes to it are not tracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        value = value._data if isinstance(value, Tensor) else value
        self._data = value

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    # tinynn runs on the CPU (NumPy) or on CUDA (CuPy) only
    is_xpu = is_mps = is_meta = is_quantized = is_sparse = is_sparse_csr = is_nested = False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool):
        flag = bool(flag)
        if self.grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf tensors; "
                    "use .detach() to get a tensor outside the graph"
                )
            return
        if flag and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self._data.dtype} "
                "(convert with .float() first)"
            )
        self._requires_grad = flag

    @property
    def grad(self):
        """The gradient accumulated by backward (a Tensor of this tensor's shape, dtype and device), or None."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value._data.dtype}, "
                                   f"where the tensor is {self._data.dtype}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {tuple(value._data.shape)}, "
                                   f"where the tensor has {tuple(self._data.shape)}")
            if type(value._data) is not type(self._data):
                raise RuntimeError(f"assigned grad has data located on a different device: {value.device}, "
                                   f"where the tensor is on {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def _version(self) -> int:
        counter = self._version_counter
        return 0 if counter is None else counter[0]

    # ------------------------------------------------------------------ size
    def size(self, dim: int | None = None):
        if dim is None:
            return self._data.shape
        return self._data.shape[wrap_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def detach(self) -> "Tensor":
        """A tensor sharing this one's numbers (and version counter) but outside the graph."""
        t = Tensor._make(self._data)
        t._version_counter = self._ensure_version_counter()
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None:
            raise RuntimeError("detach_(): cannot detach a view in place; use detach()")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retain_grad_of(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_pre_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf of the graph.

        ``gradient`` is d(loss)/d(self) and may be omitted only when self has one element.
        """
        from .autograd.engine import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def _ensure_version_counter(self) -> list:
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = [0]
        return counter

    def _bump_version(self) -> None:
        counter = self._version_counter
        if counter is None:
            self._version_counter = [1]
        else:
            counter[0] += 1

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to a Python number"
            )
        return self._data.item()

    def tolist(self):
        return backend.to_device(self._data, backend.CPU).tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The numbers as a NumPy array (shared memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        if backend.device_of(self._data).type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert a {self.device} tensor to numpy; use tensor.cpu() to copy it to the host first"
                )
            return backend.to_device(self._data, backend.CPU)
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = backend.to_device(self._data, backend.CPU)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        self._check_one_element()
        return float(self.item())

    def __int__(self) -> int:
        self._check_one_element()
        return int(self.item())

    def _check_one_element(self) -> None:
        if self._data.size != 1:  # PyTorch's float(t) / int(t) error (item() raises a RuntimeError)
            raise ValueError("only one element tensors can be converted to Python scalars")

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        """Pickling (``pickle``, ``copy.copy``) keeps the numbers, the class and requires_grad, as in
        PyTorch; a result inside a graph is refused (the graph cannot travel with it)."""
        if self.grad_fn is not None and self._requires_grad:
            raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
                               "does not support crossing process boundaries. Call .detach() on it first.")
        array = backend.to_device(self._data, backend.CPU)
        return _rebuild_tensor, (type(self), array, self._requires_grad, str(self.device))

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return repr(self).__format__(spec)

    # ------------------------------------------------------------------ memory
    def data_ptr(self) -> int:
        """The address of the first element (NumPy's or CuPy's data pointer)."""
        data = self._data
        return int(data.data.ptr) if hasattr(data.data, "ptr") else int(data.__array_interface__["data"][0])


class _RemovableHandle:
    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


_new = object.__new__


def _rebuild_tensor(cls, array, requires_grad: bool, device: str) -> Tensor:
    """The inverse of ``Tensor.__reduce_ex__``."""
    t = _new(cls)
    _init(t, backend.to_device(array, backend.as_device(device)))
    t._requires_grad = bool(requires_grad)
    return t


def _init(t: Tensor, array, requires_grad: bool = False, grad_fn=None, output_nr: int = 0) -> None:
    t._data = array
    t._requires_grad = requires_grad
    t._grad = None
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._version_counter = None
    t._base = None
    t._views = None
    t._retains_grad = False
    t._hooks = None
