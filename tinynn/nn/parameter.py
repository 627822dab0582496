"""``Parameter``: a tensor that a Module registers as something to train."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _init


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

    def __reduce_ex__(self, protocol):
        raise TypeError("tinynn never pickles tensors: use tinynn.save(module.state_dict(), path)")

