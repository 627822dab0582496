"""``Parameter``: a tensor that a Module registers as something to train; and the lazy modules'
placeholders ``UninitializedParameter`` / ``UninitializedBuffer`` (no shape until the first forward)."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _init


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)`` (PyTorch 2.5+): assigned as a module attribute, it is
    registered as a buffer (``self.mask = nn.Buffer(t)`` is ``self.register_buffer("mask", t)``)."""

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True):
        array = np.empty((0,), dtype=np.float32) if data is None else (data._data if isinstance(data, Tensor) else np.asarray(data))
        _init(self, array)
        self.persistent = bool(persistent)


class Parameter(Tensor):
    """A leaf tensor that requires grad and that ``Module`` collects in ``parameters()``.

    ``Parameter(t)`` shares ``t``'s memory; ``Parameter()`` is an empty float32 parameter.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = np.asarray(data)
        _init(self, array)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()



# ---------------------------------------------------------------------------- lazy modules' placeholders
_UNINITIALIZED_USE = ("Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
                      "`LazyModule` or explicitly manipulating `tinynn.nn.parameter.{}` objects. When using "
                      "LazyModules call `forward` with a dummy batch to initialize the parameters first.")


class _UninitializedTensor:
    """What UninitializedParameter and UninitializedBuffer share: no shape yet, only a dtype and a device.

    The tensor holds an empty array of the dtype and device it will have (so ``module.to(...)`` and
    ``.double()`` reach it); ``materialize(shape)`` gives it its shape and turns it, in place, into
    ``cls_to_become``: the same object, so an optimizer holding it keeps working. Until then asking
    for its shape or size, or filling it (``nn.init``), raises, as in PyTorch. (Arithmetic with it
    is not intercepted: PyTorch refuses every operation, tinynn only these.)
    """

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (zeros, to be filled by the module's initialisation) and make it a plain tensor."""
        from .. import backend, dtypes
        from ..creation import zeros

        device = backend.device_of(self._data) if device is None else device
        dtype = self._data.dtype if dtype is None else dtypes.to_dtype(dtype)
        self._data = zeros(tuple(shape), dtype=dtype, device=device)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def _refuse(self, what: str):
        raise ValueError(_UNINITIALIZED_USE.format(what, type(self).__name__))

    def size(self, dim=None):
        self._refuse("size")

    def numel(self):
        self._refuse("numel")

    def dim(self):
        self._refuse("dim")

    @property
    def ndim(self):
        self._refuse("ndim")

    # nn.init writes through these: initialising a lazy module before its first call is a mistake
    # (its first call would overwrite the values), refused as in PyTorch
    def fill_(self, *args, **kwargs):
        self._refuse("fill_")

    def zero_(self):
        self._refuse("zero_")

    def copy_(self, *args, **kwargs):
        self._refuse("copy_")

    def uniform_(self, *args, **kwargs):
        self._refuse("uniform_")

    def normal_(self, *args, **kwargs):
        self._refuse("normal_")

    def detach(self):
        """Another uninitialized tensor of the same kind (what ``state_dict()`` holds for it)."""
        return type(self)(requires_grad=False, device=self.device, dtype=self.dtype)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _empty_array(device, dtype):
    from ..creation import empty

    return empty(0, dtype=dtype, device=device)._data


class UninitializedParameter(_UninitializedTensor, Parameter):
    """A parameter whose shape a lazy module learns from its first input (``nn.LazyLinear`` ...)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        super().__init__(_empty_array(device, dtype), requires_grad)


class UninitializedBuffer(_UninitializedTensor, Tensor):
    """A buffer (a running mean, say) whose shape a lazy module learns from its first input."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        _init(self, _empty_array(device, dtype), requires_grad)


def is_lazy(value) -> bool:
    """True for an UninitializedParameter or UninitializedBuffer (not materialized yet)."""
    return isinstance(value, _UninitializedTensor)
