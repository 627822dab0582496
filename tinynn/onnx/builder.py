"""Turning recorded op calls into an ONNX graph: names, initializers, constant folding, dynamic sizes.

The model is traced twice (``export`` in ``__init__.py``): once on the user's inputs and once on
inputs that are changed (their values flipped, and each dynamic axis grown). Each array of the
first run has its twin in the second, at the same place of the same call, so that

* a value that is the same in both runs and depends on no graph input is a **constant**: with
  ``do_constant_folding`` an op whose inputs are all constants is not exported, its result (known
  from the trace) becomes an initializer;
* a size that differs between the runs follows a dynamic axis: ``dims`` writes it as an expression
  of the inputs' shapes (``Shape`` -> ``Mul``/``Concat``), so the graph runs at other sizes;
* a tensor made outside tinynn's ops (raw array math) that differs between the runs was computed
  from the inputs behind the tracer's back: exporting it as a constant would be wrong, so it is an
  error, unless it is a fill or an ``arange`` whose size follows a dynamic axis (made with ``Range``
  or ``ConstantOfShape``).
"""
from __future__ import annotations

import numpy as np

from .trace import OpCall


class ExportError(RuntimeError):
    """An op or a value that tinynn.onnx.export cannot write as ONNX."""


def arrays_in(value) -> list:
    """The raw arrays inside an op argument (a Tensor, an array, tuples of them, a QuantizedTensor)."""
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        return [value._data]
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [a for item in value for a in arrays_in(item)]
    if isinstance(value, dict):
        return [a for item in value.values() for a in arrays_in(item)]
    parts = getattr(value, "parts", None)   # a QuantizedTensor
    if callable(parts):
        return [a for t in parts().values() for a in arrays_in(t)]
    return []


def same_array(a, b) -> bool:
    return a is b or (a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _not_exported(call: OpCall, k: int):
    raise ExportError(f"{call.where()}: its output {k} is used, but only its main output is exported "
                      "(e.g. the batch statistics of a normalization)")


class Value:
    """A tensor of the graph: its ONNX name (once written), its arrays in the two runs."""

    __slots__ = ("name", "array", "array2", "const", "make")

    def __init__(self, array, array2, const: bool, name: str | None = None, make=None):
        self.array, self.array2, self.const, self.name, self.make = array, array2, const, name, make


class GraphBuilder:
    """Collects nodes and initializers; names values; resolves the arrays of op arguments."""

    def __init__(self, opset: int, fold: bool):
        self.opset, self.fold = opset, fold
        self.nodes, self.initializers = [], []
        self.values: dict[int, Value] = {}      # id(array of run 1) -> Value
        self.twin: dict[int, int] = {}          # id(array of run 2) -> id(its twin of run 1)
        self.dim_sources: list = []             # (input name, axis, size 1, size 2)
        self._names: set = set()
        self._shape_cache: dict = {}

    # ------------------------------------------------------------------ names and initializers
    def unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self._names:
            candidate, k = f"{name}_{k}", k + 1
        self._names.add(candidate)
        return candidate

    def initializer(self, array, hint: str = "const") -> str:
        from onnx import numpy_helper

        name = self.unique(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, order="C"), name))
        return name

    def node(self, op_type: str, inputs: list, scope: str = "", n_out: int = 1, **attrs) -> list:
        """Add a node; return the names of its outputs ('' inputs are ONNX's missing optional ones)."""
        from onnx import helper

        name = self.unique(f"{scope}/{op_type}")
        outputs = [self.unique(f"{name}_output_{k}") for k in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=name, **attrs))
        return outputs

    def ints(self, values, hint: str = "const") -> str:
        return self.initializer(np.asarray(values, dtype=np.int64).reshape(-1), hint)

    # ------------------------------------------------------------------ values
    def add_input(self, name: str, array, array2) -> None:
        self.values[id(array)] = Value(array, array2, False, name)
        self.twin[id(array2)] = id(array)
        for axis, (s1, s2) in enumerate(zip(array.shape, array2.shape)):
            if s1 != s2:
                self.dim_sources.append((name, axis, s1, s2))

    def add_state(self, name: str, array, as_input: bool = False) -> None:
        """A parameter or buffer: an initializer named by its state_dict key (made when first used)."""
        if id(array) in self.values:  # tied weights: the first name wins
            return
        value = Value(array, array, True, name if as_input else None)
        if not as_input:
            value.make = lambda: self._state_initializer(name, array)
        self.values[id(array)] = value
        self.twin[id(array)] = id(array)

    def _state_initializer(self, name: str, array) -> str:
        from onnx import numpy_helper

        self._names.add(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, order="C"), name))
        return name

    def add_outputs(self, call: OpCall, arrays, arrays2, names) -> None:
        """Record what a converted call produced: names[k] is output k's ONNX name (None: not exported)."""
        for k, (a, b, name) in enumerate(zip(arrays, arrays2, names)):
            value = Value(a, b, False, name)
            if name is None:
                value.make = (lambda k=k: _not_exported(call, k))
            self.values[id(a)] = value
            self.twin[id(b)] = id(a)

    def add_folded(self, arrays, arrays2, hint: str) -> None:
        for k, (a, b) in enumerate(zip(arrays, arrays2)):
            value = Value(a, b, True)
            value.make = (lambda a=a, k=k: self.initializer(a, f"{hint}_{k}" if len(arrays) > 1 else hint))
            self.values[id(a)] = value
            self.twin[id(b)] = id(a)

    def lookup(self, array, array2, call: OpCall) -> Value:
        """The Value of an argument's array (``array2``: the same argument in the second run)."""
        value = self.values.get(id(array))
        if value is not None:
            if array2 is not None and self.twin.get(id(array2)) not in (id(array), None):
                raise ExportError(f"{call.where()}: the model did not run the same ops on the second trace "
                                  "(its ops depend on the input's values or sizes); it cannot be exported as one graph")
            return value
        value = self._untraced(array, array2, call)
        self.values[id(array)] = value
        return value

    def name_of(self, value: Value) -> str:
        if value.name is None:
            if value.make is None:
                raise ExportError("internal: a value without a name or a maker")
            value.name = value.make()
        return value.name

    def _untraced(self, a, b, call: OpCall) -> Value:
        """A tensor made outside the traced ops: a constant, or a fill/arange sized by a dynamic axis."""
        if b is None or same_array(a, b):
            value = Value(a, a, True)
            value.make = lambda: self.initializer(a, "const")
            return value
        if a.shape == b.shape:
            raise ExportError(
                f"{call.where()} reads a tensor of shape {tuple(a.shape)} that was computed outside tinynn's ops "
                "and changes with the input (raw NumPy math, .numpy()/.item() round trips, or random numbers such as "
                "dropout in training mode); the graph would hold it as a constant. Compute it with tensor ops, or "
                "call model.eval() before exporting")
        name = self._sized_constant(a, b)
        if name is None:
            raise ExportError(
                f"{call.where()} reads a constant of shape {tuple(a.shape)} made outside tinynn's ops whose shape "
                f"follows a dynamic axis ({tuple(b.shape)} on the second trace), and it is neither a fill nor an "
                "arange; export without dynamic_axes for this input, or build it with tensor ops")
        return Value(a, b, False, name)

    def _sized_constant(self, a, b):
        """ConstantOfShape for a fill, Range for an arange, with sizes from the inputs' shapes."""
        from onnx import numpy_helper

        if a.size and b.size and a.ndim == b.ndim and np.all(a == a.flat[0]) and np.all(b == a.flat[0]):
            fill = numpy_helper.from_array(np.asarray([a.flat[0]], dtype=a.dtype), "value")
            return self.node("ConstantOfShape", [self.dims(a.shape, b.shape)], "/constants", value=fill)[0]
        if a.ndim == b.ndim == 1 and a.size >= 2 and b.size >= 2 and a.dtype.kind in "iuf":
            start, step = a[0], a[1] - a[0]
            for arr in (a, b):
                if not np.array_equal(arr, start + step * np.arange(arr.size, dtype=a.dtype)):
                    return None
            n = self.dims(a.shape, b.shape)
            limit = n if (start == 0 and step == 1) else self.node(
                "Add", [self.node("Mul", [n, self.ints([step])], "/constants")[0], self.ints([start])], "/constants")[0]
            scalars = [self.initializer(np.asarray(start, np.int64), "start"), self.node("Squeeze", [limit], "/constants")[0],
                       self.initializer(np.asarray(step, np.int64), "step")]
            out = self.node("Range", scalars, "/constants")[0]
            return out if a.dtype == np.int64 else self.cast(out, a.dtype)
        return None

    def cast(self, name: str, dtype, scope: str = "") -> str:
        from onnx import helper

        return self.node("Cast", [name], scope, to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))[0]

    # ------------------------------------------------------------------ sizes that follow dynamic axes
    def dims(self, sizes, sizes2, scope: str = "/shape") -> str:
        """An int64 (len,) tensor equal to ``sizes`` on this input and ``sizes2`` on the second run's."""
        sizes, sizes2 = tuple(int(s) for s in sizes), tuple(int(s) for s in sizes2)
        if sizes == sizes2:
            return self.ints(sizes, "shape")
        pieces, fixed = [], []
        for a, b in zip(sizes, sizes2):
            if a == b:
                fixed.append(a)
                continue
            if fixed:
                pieces.append(self.ints(fixed, "shape"))
                fixed = []
            pieces.append(self.dim(a, b, scope))
        if fixed:
            pieces.append(self.ints(fixed, "shape"))
        return pieces[0] if len(pieces) == 1 else self.node("Concat", pieces, scope, axis=0)[0]

    def dim(self, a: int, b: int, scope: str = "/shape") -> str:
        """A (1,) int64 tensor: an input's size, a multiple or a fraction of it, or a product of two."""
        sources = self.dim_sources
        for source in sources:
            if source[2:] == (a, b):
                return self._size_of(source, scope)
        for source in sources:
            s1, s2 = source[2:]
            if a % s1 == 0 and b % s2 == 0 and a // s1 == b // s2:
                return self.node("Mul", [self._size_of(source, scope), self.ints([a // s1])], scope)[0]
            if s1 % a == 0 and s2 % b == 0 and s1 // a == s2 // b:
                return self.node("Div", [self._size_of(source, scope), self.ints([s1 // a])], scope)[0]
        for i, p in enumerate(sources):
            for q in sources[i + 1:]:
                n1, n2 = p[2] * q[2], p[3] * q[3]
                if a % n1 == 0 and b % n2 == 0 and a // n1 == b // n2:
                    prod = self.node("Mul", [self._size_of(p, scope), self._size_of(q, scope)], scope)[0]
                    return prod if a == n1 else self.node("Mul", [prod, self.ints([a // n1])], scope)[0]
        for source in sources:
            if a - source[2] == b - source[3]:
                return self.node("Add", [self._size_of(source, scope), self.ints([a - source[2]])], scope)[0]
        raise ExportError(f"a size ({a}, {b} on the second trace) follows the dynamic axes but is no simple function "
                          f"of the inputs' sizes {[(s[0], s[1]) for s in sources]}; export without dynamic_axes")

    def _size_of(self, source, scope: str) -> str:
        name, axis = source[0], source[1]
        key = (name, axis)
        if key not in self._shape_cache:
            if self.opset >= 15:
                out = self.node("Shape", [name], "/shape", start=axis, end=axis + 1)[0]
            else:
                shape = self.node("Shape", [name], "/shape")[0]
                out = self.node("Gather", [shape, self.ints([axis])], "/shape", axis=0)[0]
            self._shape_cache[key] = out
        return self._shape_cache[key]
