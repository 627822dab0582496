"""The differential sweep's machinery: the same inputs for tinynn and PyTorch, one case run on both,
and a message that says exactly where they part.

A case is a function ``fn(T, *inputs)`` written once for both engines (``T`` is the module
``tinynn`` or ``torch``) and its inputs: ``Arg`` specs that become tensors holding the same values
on both sides, Python values passed as they are, or lists of either. The two runs must agree on

- the outcome: both return, or both raise. When PyTorch raises, tinynn must raise the same kind
  (the first of ``ERROR_KINDS`` PyTorch's exception is an instance of), and not a NumPy error
  leaking from inside an op;
- every output: its Python type, dtype, shape, ``requires_grad`` and values (NaN where NaN,
  +-inf where +-inf, a tolerance set by the dtype);
- when float64 inputs require grad: the outcome of backpropagating a fixed random weighting of
  every float output, and then each input's gradient.

``sweep_params(cases, differences)`` turns a table of cases into pytest parameters; a case named
in ``differences`` (its exact id, or an ``fnmatch`` pattern, where ``?`` stands in for a bracket)
is a strict xfail carrying the reason, so a known difference is counted in every run and a fixed
one shows up as XPASS (a failure).
"""
from __future__ import annotations

import fnmatch

import numpy as np
import pytest

import tinynn
from tests.helpers import torch

DTYPES = {"f64": "float64", "f32": "float32", "f16": "float16", "i64": "int64", "i32": "int32",
          "i16": "int16", "i8": "int8", "u8": "uint8", "bool": "bool"}

# nan, +-inf, signed zeros, integers, halves (round half to even), values at the edge of many domains
SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 1e-300, 40.0, -40.0]

# PyTorch's exception classes as tinynn must mirror them (more specific first)
ERROR_KINDS = (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError)

TOLERANCES = {  # (rtol, atol) by dtype kind and width
    "float64": (1e-7, 1e-10),
    "float32": (2e-5, 1e-6),
    "float16": (2e-3, 1e-3),
}


class Arg:
    """One tensor input: ``shape`` and ``dtype`` (a key of DTYPES), values drawn from ``seed``.

    Floats are standard normal (uniform in [low, high) when bounds are given), integers uniform in
    [low, high) (default [-4, 5)), bools fair coins; ``values`` gives them outright. ``t=True``
    makes a non-contiguous input: the leaf holds the transpose, and the case sees ``leaf.mT``.
    ``grad`` (default: float64 inputs) makes the leaf require grad.
    """

    def __init__(self, shape=(2, 3), dtype="f64", *, values=None, low=None, high=None, seed=None,
                 t=False, grad=None, name=None):
        self.shape, self.dtype, self.values = tuple(shape), dtype, values
        self.low, self.high, self.seed, self.t, self.name = low, high, seed, t, name
        self.grad = dtype == "f64" if grad is None else grad

    def array(self, seed: int) -> np.ndarray:
        dtype = np.dtype(DTYPES[self.dtype])
        if self.values is not None:
            return np.array(self.values, dtype=dtype)
        rng = np.random.default_rng(self.seed if self.seed is not None else seed)
        if dtype.kind == "f":
            data = rng.standard_normal(self.shape) if self.low is None else rng.uniform(self.low, self.high, self.shape)
        elif dtype.kind == "b":
            data = rng.random(self.shape) < 0.5
        else:
            low = -4 if self.low is None else self.low
            data = rng.integers(low, 5 if self.high is None else self.high, self.shape)
        return np.asarray(data).astype(dtype)

    def describe(self) -> str:
        if self.name:
            return f"{self.dtype}:{self.name}"
        shape = "x".join(str(n) for n in self.shape)
        return f"{self.dtype}[{shape}]" + ("T" if self.t else "")


def describe(spec) -> str:
    if isinstance(spec, Arg):
        return spec.describe()
    if isinstance(spec, (list, tuple)) and any(isinstance(s, Arg) for s in spec):
        return "[" + ",".join(describe(s) for s in spec) + "]"
    return repr(spec).replace(" ", "")


class Case:
    """``fn(T, *inputs)`` on both engines; ``grad=False`` keeps every input out of the graph
    (in-place ops on leaves); ``tol=(rtol, atol)`` overrides the dtype's tolerance."""

    def __init__(self, name: str, fn, *inputs, grad: bool = True, tol=None):
        self.name, self.fn, self.inputs, self.grad, self.tol = name, fn, inputs, grad, tol
        self.id = f"{name}({','.join(describe(s) for s in inputs)})"


def sweep_params(cases, differences: dict[str, str]):
    """pytest parameters for ``cases``: each named by its id, known differences as strict xfails."""
    ids = [c.id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate case ids: {sorted(duplicates)}"
    unused = [p for p in differences if not any(_matches(i, p) for i in ids)]
    assert not unused, f"known differences that match no case: {unused}"
    params = []
    for case in cases:
        reasons = [r for p, r in differences.items() if _matches(case.id, p)]
        marks = [pytest.mark.xfail(reason=reasons[0], strict=True)] if reasons else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def _matches(case_id: str, pattern: str) -> bool:
    return case_id == pattern or fnmatch.fnmatchcase(case_id, pattern)


# ---------------------------------------------------------------------------------------- running
class Run:
    """One engine's run of a case: its output or its exception, and the leaves that require grad."""

    def __init__(self, engine, case: Case):
        self.engine, self.leaves, self.error, self.out = engine, [], None, None
        counter = iter(range(1000))
        inputs = [self._build(spec, counter, case.grad) for spec in case.inputs]
        try:
            self.out = case.fn(engine, *inputs)
        except Exception as e:  # noqa: BLE001  (the error is the result being compared)
            self.error = e

    def _build(self, spec, counter, grad: bool):
        if isinstance(spec, Arg):
            array = spec.array(next(counter))
            stored = np.ascontiguousarray(np.swapaxes(array, -1, -2)) if spec.t else array.copy()
            leaf = self.engine.tensor(stored) if self.engine is tinynn else torch.from_numpy(stored)
            if grad and spec.grad:
                leaf.requires_grad_(True)
                self.leaves.append(leaf)
            return leaf.transpose(-1, -2) if spec.t else leaf
        if isinstance(spec, (list, tuple)) and any(isinstance(s, Arg) for s in spec):
            return type(spec)(self._build(s, counter, grad) for s in spec)
        return spec

    def name(self) -> str:
        return "tinynn" if self.engine is tinynn else "PyTorch"


def error_kind(error: BaseException) -> type:
    return next((k for k in ERROR_KINDS if isinstance(error, k)), type(error))


def numpy_leak(error: BaseException) -> str | None:
    """Where a NumPy error escaped from (its innermost frame inside NumPy), or None."""
    if type(error).__module__.startswith("numpy"):
        return f"a NumPy {type(error).__name__}"
    tb, last = error.__traceback__, None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    if last and "/numpy/" in last.replace("\\", "/"):
        return f"an error raised inside NumPy ({last.rsplit('/', 2)[-2]}/{last.rsplit('/', 1)[-1]})"
    return None


def summary(value) -> str:
    if isinstance(value, (tinynn.Tensor, torch.Tensor)):
        return f"a tensor {tuple(value.shape)} {dtype_name(value)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"{type(value).__name__} {value!r}"


def dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def check_case(case: Case) -> None:
    """Run ``case`` on both engines and assert they agree (see the module docstring)."""
    theirs, ours = Run(torch, case), Run(tinynn, case)
    if not _same_outcome(ours, theirs, "forward"):
        return
    _compare(ours.out, theirs.out, "output", case)
    if ours.leaves:
        _compare_gradients(ours, theirs, case)


def _same_outcome(ours: Run, theirs: Run, stage: str) -> bool:
    """Assert both raised the same kind of error or both succeeded; True when both succeeded."""
    if theirs.error is not None:
        kind = error_kind(theirs.error)
        if ours.error is None:
            raise AssertionError(f"{stage}: PyTorch raises {kind.__name__} ({_first_line(theirs.error)}); "
                                 f"tinynn returns {summary(ours.out)}")
        leak = numpy_leak(ours.error)
        if leak:
            raise AssertionError(f"{stage}: {leak} reaches the user: {type(ours.error).__name__}: "
                                 f"{_first_line(ours.error)} (PyTorch: {kind.__name__})") from ours.error
        if not isinstance(ours.error, kind):
            raise AssertionError(f"{stage}: PyTorch raises {kind.__name__} ({_first_line(theirs.error)}); tinynn "
                                 f"raises {type(ours.error).__name__}: {_first_line(ours.error)}") from ours.error
        return False
    if ours.error is not None:
        raise AssertionError(f"{stage}: tinynn raises {type(ours.error).__name__}: {_first_line(ours.error)}; "
                             f"PyTorch returns {summary(theirs.out)}") from ours.error
    return True


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""


def _compare(o, t, where: str, case: Case) -> None:
    if isinstance(t, torch.Tensor):
        assert isinstance(o, tinynn.Tensor), f"{where}: PyTorch gives a tensor, tinynn {summary(o)}"
        assert dtype_name(o) == dtype_name(t), f"{where}: dtype {dtype_name(o)}, PyTorch {dtype_name(t)}"
        assert tuple(o.shape) == tuple(t.shape), f"{where}: shape {tuple(o.shape)}, PyTorch {tuple(t.shape)}"
        assert o.requires_grad == t.requires_grad, \
            f"{where}: requires_grad {o.requires_grad}, PyTorch {t.requires_grad}"
        tol = case.tol or TOLERANCES.get(dtype_name(t))
        _compare_arrays(np.asarray(o.detach().numpy()), t.detach().numpy(), where, tol)
    elif isinstance(t, (tuple, list)):
        assert isinstance(o, (tuple, list)), f"{where}: PyTorch gives {summary(t)}, tinynn {summary(o)}"
        assert len(o) == len(t), f"{where}: {len(o)} items, PyTorch {len(t)}"
        for k, (a, b) in enumerate(zip(o, t)):
            _compare(a, b, f"{where}[{k}]", case)
    elif t is None or isinstance(t, (bool, int, float)):
        assert type(o) is type(t), f"{where}: {summary(o)}, PyTorch {summary(t)}"
        if isinstance(t, float) and np.isnan(t):
            assert np.isnan(o), f"{where}: {o!r}, PyTorch nan"
        elif isinstance(t, float):
            np.testing.assert_allclose(o, t, *TOLERANCES["float64"], err_msg=where)
        else:
            assert o == t, f"{where}: {o!r}, PyTorch {t!r}"
    else:
        raise AssertionError(f"{where}: the sweep cannot compare {type(t).__name__} outputs; fix the case")


def _compare_arrays(a: np.ndarray, b: np.ndarray, where: str, tol) -> None:
    if b.dtype.kind == "f":
        rtol, atol = tol
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


def _float_outputs(out) -> list:
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in _float_outputs(item)]
    if isinstance(out, (tinynn.Tensor, torch.Tensor)) and out.requires_grad and out.is_floating_point():
        return [out]
    return []


def _backward(run: Run, weights: list) -> None:
    try:
        outputs = _float_outputs(run.out)
        if not outputs:
            return
        loss = sum((o * w).sum() for o, w in zip(outputs, weights))
        loss.backward()
    except Exception as e:  # noqa: BLE001
        run.error = e


def _compare_gradients(ours: Run, theirs: Run, case: Case) -> None:
    """Backpropagate the same weighting of the float outputs through both; compare the gradients
    (to the tolerance of the least precise output: a float64 input reached through float32 math
    has a float32-accurate gradient)."""
    shapes = [(tuple(t.shape), dtype_name(t)) for t in _float_outputs(theirs.out)]
    tol = case.tol or max((TOLERANCES[d] for _, d in shapes), default=TOLERANCES["float64"])
    arrays = [np.random.default_rng(100 + k).standard_normal(s).astype(d) for k, (s, d) in enumerate(shapes)]
    _backward(theirs, [torch.from_numpy(a) for a in arrays])
    _backward(ours, [tinynn.tensor(a) for a in arrays])
    if not _same_outcome(ours, theirs, "backward"):
        return
    for k, (a, b) in enumerate(zip(ours.leaves, theirs.leaves)):
        got = np.zeros(tuple(a.shape), dtype=np.float64) if a.grad is None else np.asarray(a.grad.numpy())
        expected = np.zeros(tuple(b.shape)) if b.grad is None else b.grad.numpy()
        assert got.shape == expected.shape, f"gradient of input {k}: shape {got.shape}, PyTorch {expected.shape}"
        if a.grad is not None and b.grad is not None:
            assert dtype_name(a.grad) == dtype_name(b.grad), \
                f"gradient of input {k}: dtype {dtype_name(a.grad)}, PyTorch {dtype_name(b.grad)}"
        _compare_arrays(got, expected, f"gradient of input {k}", tol)
