"""Checks for exercise 34, device-agnostic code, on the CPU: the student's functions run with ``np`` hidden
from their module and ``array_module_of``, ``Tensor.to``, ``Module.to`` and ``Tensor.numpy`` watched, so
that code which would fail on a GPU (np.exp on a CuPy array, an array made by NumPy, a tensor never moved,
.numpy() of a device tensor) fails here too, with a message that says why."""
from __future__ import annotations

import contextlib
import os
import sys

import numpy as np

import tinynn
import tinynn.backend as backend
import tinynn.nn as nn
import tinynn.nn.functional as F
from ..grading import Grader, Mismatch

_CONSTANTS = ("newaxis", "pi", "e", "inf", "nan")


class _HiddenNumpy:
    """Stands in for ``np`` in the student's module: dtypes and types pass, functions raise Mismatch."""

    def __init__(self, function: str):
        self._function = function

    def __getattr__(self, name):
        value = getattr(np, name)
        if isinstance(value, type) or name in _CONSTANTS:
            return value
        raise Mismatch(f"{self._function} called np.{name} directly: on a GPU (CuPy) array that fails or copies the "
                       f"data to the host. Hint: xp = array_module_of(x), then xp.{name}(...)")


@contextlib.contextmanager
def _arrays_watched(student, function: str):
    """While active: the student's module sees ``np`` hidden and ``array_module_of`` recorded. Yields the record."""
    asked = []
    real = backend.array_module_of

    def recording(array):
        asked.append(type(array).__name__)
        return real(array)

    saved = {name: student.__dict__[name] for name in ("np", "numpy", "array_module_of") if name in student.__dict__}
    for name in ("np", "numpy"):
        if name in saved:
            setattr(student, name, _HiddenNumpy(function))
    student.array_module_of = recording
    backend.array_module_of = recording
    try:
        yield asked
    finally:
        backend.array_module_of = real
        for name in ("np", "numpy", "array_module_of"):
            if name in saved:
                setattr(student, name, saved[name])
            else:
                student.__dict__.pop(name, None)


@contextlib.contextmanager
def _tensors_watched(student, function: str):
    """While active: Tensor.to and Module.to record what they move; .numpy(), np.asarray(tensor) and .tolist()
    called from the student's file raise Mismatch. Yields (moved tensors, moved modules): lists of (id, device)."""
    student_file = os.path.realpath(student.__file__)
    tensors, modules = [], []
    saved = {name: getattr(tinynn.Tensor, name) for name in ("to", "numpy", "__array__", "tolist")}
    module_to = nn.Module.to

    def tensor_to(self, *args, **kwargs):
        tensors.append((id(self), args, kwargs))
        return saved["to"](self, *args, **kwargs)

    def to_module(self, *args, **kwargs):
        modules.append((id(self), args, kwargs))
        return module_to(self, *args, **kwargs)

    def refusing(name):
        def method(self, *args, **kwargs):
            if os.path.realpath(sys._getframe(1).f_code.co_filename) == student_file:
                called = "np.asarray on a tensor" if name == "__array__" else f".{name}()"
                raise Mismatch(f"{function} called {called}: on a GPU tensor that is an error. Hint: compute with "
                               "Tensor operations on the device and bring back only the final number with .item()")
            return saved[name](self, *args, **kwargs)
        return method

    tinynn.Tensor.to, nn.Module.to = tensor_to, to_module
    for name in ("numpy", "__array__", "tolist"):
        setattr(tinynn.Tensor, name, refusing(name))
    try:
        yield tensors, modules
    finally:
        nn.Module.to = module_to
        for name, method in saved.items():
            setattr(tinynn.Tensor, name, method)


def _expect_asked(function: str, asked: list) -> None:
    if not asked:
        raise Mismatch(f"{function} never called array_module_of: it cannot know which library holds its input. "
                       "Hint: xp = array_module_of(x) first, then xp.exp, xp.zeros, ...")


def _check_softmax(g: Grader, student, reference) -> None:
    cases = [("x (3, 5) float64, axis -1", g.randn(3, 5), -1), ("x (2, 3, 4) float32, axis 1", g.randn(2, 3, 4)
             .astype(np.float32), 1), ("large logits (2, 3) around 1000", g.randn(2, 3) + 1000.0, -1),
             ("one element (1, 1)", g.randn(1, 1), -1)]
    for case, x, axis in cases:
        with g.check(case, "softmax", points=2 if axis == -1 and x.shape == (3, 5) else 1):
            expected = reference.softmax(x, axis)
            with _arrays_watched(student, "softmax") as asked:
                got = g.call(student.softmax, x.copy(), axis)
            _expect_asked("softmax", asked)
            shifted = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
            g.expect("softmax", got, expected, rtol=1e-6 if x.dtype == np.float32 else 1e-10,
                     mistakes={"exp(x) / sum exp(x) without subtracting the max (it overflows)": shifted})
            if x.shape == (3, 5):
                g.expect("softmax against the library", got, F.softmax(tinynn.tensor(x), dim=axis), rtol=1e-10,
                         expect_tensor=False, expected_label="tinynn.nn.functional.softmax")


def _check_one_hot(g: Grader, student, reference) -> None:
    cases = [(np.array([2, 0, 1, 2]), 3, np.float32), (np.array([0]), 1, np.float64), (np.array([3, 1]), 5, np.int64),
             (np.zeros(0, dtype=np.int64), 4, np.float32)]
    for labels, classes, dtype in cases:
        case = f"labels {labels.tolist()}, num_classes {classes}, dtype {np.dtype(dtype).name}"
        with g.check(case, "one_hot", points=2 if len(labels) == 4 else 1):
            expected = reference.one_hot(labels, classes, dtype)
            with _arrays_watched(student, "one_hot") as asked:
                got = g.call(student.one_hot, labels.copy(), classes, dtype)
            _expect_asked("one_hot", asked)
            g.expect("one_hot", got, expected, exact=True,
                     mistakes={"the transpose, (num_classes, N)": expected.T} if len(labels) == classes else None)
            if len(labels) == 4:
                library = F.one_hot(tinynn.tensor(labels), classes)
                g.expect("one_hot against the library", got, library, check_dtype=False, expect_tensor=False,
                         expected_label="tinynn.nn.functional.one_hot")


def _destinations(moved: list) -> dict:
    """id of each tensor or module -> the device it was moved to, from the recorded .to calls."""
    devices = {}
    for identity, args, kwargs in moved:
        target = kwargs.get("device", args[0] if args else None)
        if target is None:
            continue
        with contextlib.suppress(Exception):   # .to(dtype) names no device
            devices[identity] = str(backend.as_device(target))
    return devices


def _expect_moved(moved: list, wanted: dict, device: str) -> None:
    """Every tensor in ``wanted`` (name -> tensor) must have been moved with .to(device)."""
    devices = _destinations(moved)
    for name, tensor in wanted.items():
        if devices.get(id(tensor)) != device:
            raise Mismatch(f"move_to: {name} was never moved with .to({device!r}). Hint: call .to(device) on every "
                           "tensor you reach (a tensor left behind on the CPU breaks the first GPU operation)")


def _check_move(g: Grader, student) -> None:
    x, y = tinynn.tensor(g.randn(4, 3)), tinynn.tensor(np.array([0, 2, 1, 1]))
    mask, extra = tinynn.tensor(np.array([True, False, True, True])), tinynn.tensor(g.randn(2))
    cases = [
        ("a float64 tensor, no dtype", x, None, {"the tensor": x}),
        ("a tuple (x float64, y int64), dtype float32", (x, y), tinynn.float32, {"x": x, "y": y}),
        ("a dict {'x', 'y', 'mask' (bool), 'ids' (strings), 'n' (an int), 'more' (a list of one tensor)}, "
         "dtype float32", {"x": x, "y": y, "mask": mask, "ids": ["a", "b"], "n": 3, "more": [extra]},
         tinynn.float32, {"batch['x']": x, "batch['y']": y, "batch['mask']": mask, "batch['more'][0]": extra}),
        ("None", None, None, {}),
    ]
    for case, batch, dtype, tensors in cases:
        with g.check(f"{case}, to 'cpu'", "move_to", points=2 if isinstance(batch, dict) else 1):
            with _tensors_watched(student, "move_to") as (moved, _):
                got = g.call(student.move_to, batch, "cpu", dtype)
            _expect_moved(moved, tensors, "cpu")
            _expect_same_structure("move_to", got, batch, dtype)

    with g.check("a float32 nn.Linear(3, 2), dtype float64, to 'cpu'", "move_to"):
        model = nn.Linear(3, 2)
        with _tensors_watched(student, "move_to") as (_, modules):
            got = g.call(student.move_to, model, "cpu", tinynn.float64)
        if got is not model:
            raise Mismatch(f"move_to returned {type(got).__name__}, expected the model itself (Module.to works in "
                           "place and returns the module)")
        if _destinations(modules).get(id(model)) != "cpu":
            raise Mismatch("move_to never called the model's .to(device): its parameters stay where they are")
        if model.weight.dtype != tinynn.float64:
            raise Mismatch(f"the model's weight is {model.weight.dtype} after move_to(..., dtype=float64)")


def _expect_same_structure(where: str, got, expected, dtype) -> None:
    """``got`` has the container types, keys, non-tensors and tensor values of ``expected``, floats cast to dtype."""
    if isinstance(expected, tinynn.Tensor):
        if not isinstance(got, tinynn.Tensor):
            raise Mismatch(f"{where}: a {type(got).__name__} where the batch had a tensor")
        want = dtype if dtype is not None and expected.is_floating_point() else expected.dtype
        if got.dtype != want:
            hint = (" Hint: only floating tensors take the dtype; class labels and masks keep theirs"
                    if not expected.is_floating_point() else "")
            raise Mismatch(f"{where}: a tensor of {expected.dtype} became {got.dtype}, expected {want}.{hint}")
        if not np.allclose(got.detach().numpy(), expected.detach().numpy().astype(got.detach().numpy().dtype),
                           rtol=1e-6):
            raise Mismatch(f"{where}: the values of a tensor changed")
        return
    if type(got) is not type(expected):
        raise Mismatch(f"{where}: a {type(got).__name__} where the batch had a {type(expected).__name__}. Hint: "
                       "rebuild the same kind of container (type(obj)(...) for tuples and lists)")
    if isinstance(expected, dict):
        if list(got) != list(expected):
            raise Mismatch(f"{where}: the keys {list(got)}, expected {list(expected)}")
        for key in expected:
            _expect_same_structure(f"{where}[{key!r}]", got[key], expected[key], dtype)
    elif isinstance(expected, (tuple, list)):
        if len(got) != len(expected):
            raise Mismatch(f"{where}: {len(got)} items, expected {len(expected)}")
        for k, (a, b) in enumerate(zip(got, expected)):
            _expect_same_structure(f"{where}[{k}]", a, b, dtype)
    elif got != expected:
        raise Mismatch(f"{where}: {got!r}, expected {expected!r} unchanged (only tensors and modules move)")


def _check_accuracy(g: Grader, student, reference) -> None:
    tie = np.array([[1.0, 1.0, 0.0], [0.2, 0.1, 0.9]])
    cases = [("logits (6, 4), some right", g.randn(6, 4), np.array([0, 1, 2, 3, 0, 1])),
             ("a batch of one", g.randn(1, 3), np.array([1])),
             ("a tie in row 0 (argmax takes the first maximum)", tie, np.array([0, 2]))]
    for case, logits, labels in cases:
        with g.check(case, "accuracy", points=2 if len(labels) == 6 else 1):
            logits_t, labels_t = tinynn.tensor(logits), tinynn.tensor(labels)
            expected = reference.accuracy(logits_t, labels_t)
            with _tensors_watched(student, "accuracy"):
                got = g.call(student.accuracy, logits_t, labels_t)
            if not isinstance(got, float):
                raise Mismatch(f"accuracy returned a {type(got).__name__}, expected a Python float. Hint: .item() "
                               "of the final 0-d tensor")
            if abs(got - expected) > 1e-12:
                raise Mismatch(f"accuracy: got {got:g}, expected {expected:g} ({round(expected * len(labels))} of "
                               f"{len(labels)} rows right)")


def grade(g: Grader, student, reference) -> None:
    _check_softmax(g, student, reference)
    _check_one_hot(g, student, reference)
    _check_move(g, student)
    _check_accuracy(g, student, reference)
