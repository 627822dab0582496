"""The grader's toolkit: run a student's code in checks, compare with the reference, check gradients.

An exercise's grade module is a list of checks, each a ``with`` block::

    def grade(g: Grader, student, reference):
        x = g.randn(3, 4)
        with g.check("sigmoid on x of shape (3, 4)", function="sigmoid"):
            got = g.call(student.sigmoid, x)
            g.expect("sigmoid(x)", got, reference.sigmoid(x))

A check passes when its block runs through. It fails when a comparison raises ``Mismatch`` (the
message says which output or gradient, the first differing element, expected against got, and a
hint), is "not done" when the student's code raises ``NotImplementedError`` (the stripped exercise
file does that everywhere), and is an error when the student's code raises anything else (the
message names the line of the student's file).

Gradients are checked the way ``tinynn.autograd.gradcheck`` does, in float64: the student's
analytic gradient of L = sum(upstream * f(inputs)) against central finite differences of the
reference forward,

    dL/dx_j  ~  (L(x + eps e_j) - L(x - eps e_j)) / (2 eps),

one input element at a time (the inputs are small, so this is cheap).
"""
from __future__ import annotations

import contextlib
import os
import re
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

import tinynn
from .compare import difference

__all__ = ["CheckResult", "ForbiddenUse", "Grader", "Mismatch", "NotDone", "StudentError", "numeric_gradient",
           "on_arrays"]

PASS, FAIL, NOT_DONE, ERROR = "pass", "fail", "not_done", "error"


class Mismatch(Exception):
    """A check failed: the message says what differs, where, and (if it can guess) why."""


class ForbiddenUse(Mismatch):
    """The student's code called the library's own implementation of what the exercise asks for."""


class NotDone(Exception):
    """The student's code raised NotImplementedError: that part is not written yet."""


class StudentError(Exception):
    """The student's code raised another exception; the message names the line."""


@dataclass
class CheckResult:
    name: str       # what was checked, e.g. "Sigmoid.backward on x of shape (3, 4)"
    function: str   # the student's function the check is about
    status: str     # "pass", "fail", "not_done" or "error"
    message: str = ""
    points: float = 1.0   # what the check is worth; earned only when it passes

    @property
    def earned(self) -> float:
        return self.points if self.status == PASS else 0.0


# Errors students often meet, and what to do about them (matched against "Type: message").
_EXCEPTION_HINTS = (
    ("overflow", "exp of a large number overflowed: use the numerically stable form from the docstring"),
    ("can't call numpy() on a tensor that requires grad", "use tensor.detach().numpy()"),
    ("not align", "check the shapes in the docstring: a missing or extra transpose?"),
    ("could not be broadcast", "check the shapes in the docstring: a missing transpose or reshape?"),
    ("do not broadcast", "check the shapes in the docstring: a missing transpose or reshape?"),
    ("must return Tensors", "wrap NumPy results with tinynn.tensor(...) before returning them"),
    ("'NoneType'", "something returned None: a missing return statement?"),
)


def describe_exception(exc: BaseException, student_file: str | None, what: str = "") -> str:
    """'<what> raised Type: message (line N of file: code)', plus a hint for common errors."""
    text = f"{type(exc).__name__}: {exc}"
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        text = f"SyntaxError: {exc.msg}"
        where = f" (line {exc.lineno}: {(exc.text or '').strip()})"
    elif student_file:
        mine = [f for f in traceback.extract_tb(exc.__traceback__)
                if os.path.realpath(f.filename) == student_file]
        if mine:
            frame = mine[-1]
            where = f" (line {frame.lineno} of {os.path.basename(student_file)}: {(frame.line or '').strip()})"
    message = f"{what + ' ' if what else ''}raised {text}{where}"
    for needle, hint in _EXCEPTION_HINTS:
        if needle in text:
            return f"{message}. Hint: {hint}"
    return message


def numeric_gradient(f, arrays: list, index: int, upstream, eps: float = 1e-6) -> np.ndarray:
    """dL/d(arrays[index]) for L = sum(upstream * f(*arrays)), by central differences (float64).

    ``f`` returns an array, or a tuple of arrays when ``upstream`` is a tuple (one per output).
    """
    arrays = [np.array(a, dtype=np.float64) if i == index else a for i, a in enumerate(arrays)]
    x = arrays[index]
    grad = np.zeros_like(x)

    def loss() -> float:
        out = f(*arrays)
        if isinstance(upstream, tuple):
            return sum(float(np.sum(u * np.asarray(o))) for u, o in zip(upstream, out))
        return float(np.sum(upstream * np.asarray(out)))

    flat, grad_flat = x.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        plus = loss()
        flat[j] = old - eps
        minus = loss()
        flat[j] = old
        grad_flat[j] = (plus - minus) / (2 * eps)
    return grad


def on_arrays(fn):
    """A function of Tensors as a function of arrays: arrays in become tensors, tensors out arrays.

    For finite differences through a reference written with tinynn (an autograd Function's
    ``apply``, or Tensor operations).
    """
    def run(*arrays):
        with tinynn.no_grad():
            out = fn(*[tinynn.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays])
        if isinstance(out, tuple):
            return tuple(o.numpy() for o in out)
        return out.numpy()

    return run


class Grader:
    """Runs checks against one student file and collects a ``CheckResult`` for each."""

    def __init__(self, student_file: str | None = None, seed: int = 0):
        self.results: list[CheckResult] = []
        self.in_student_code = 0   # > 0 while the student's code runs (integrity.py's tripwires read it)
        self.rng = np.random.default_rng(seed)   # fixed inputs: the same file always gets the same grade
        self.student_file = os.path.realpath(student_file) if student_file else None

    # -------------------------------------------------------------- inputs
    def randn(self, *shape, dtype=np.float64) -> np.ndarray:
        return self.rng.standard_normal(shape).astype(dtype)

    def uniform(self, low: float, high: float, *shape, dtype=np.float64) -> np.ndarray:
        return self.rng.uniform(low, high, size=shape).astype(dtype)

    # -------------------------------------------------------------- checks
    @contextlib.contextmanager
    def check(self, name: str, function: str, points: float = 1.0):
        """Run the block as one check named ``name`` about the student's ``function``, worth ``points``."""
        status, message = PASS, ""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                yield
        except NotDone as exc:
            status, message = NOT_DONE, f"not done yet ({exc})"
            other = re.search(r"exercise \d+: ([\w.]+)", str(exc))
            if other and other.group(1) != function:
                message = f"not done yet: it needs {other.group(1)} first ({exc})"
        except Mismatch as exc:
            status, message = FAIL, str(exc)
        except StudentError as exc:
            status, message = ERROR, str(exc)
        except AttributeError as exc:
            status, message = ERROR, describe_exception(exc, self.student_file)
            if "module" in str(exc):
                message += f". Hint: your file has no '{function.split('.')[0]}' (renamed or deleted?)"
        except Exception as exc:  # the student's code raised where the grader called it indirectly
            status, message = ERROR, describe_exception(exc, self.student_file)
        self.results.append(CheckResult(name, function, status, message, float(points)))

    def call(self, fn, *args, what: str | None = None, **kwargs):
        """Call the student's ``fn``; its exceptions become NotDone or StudentError."""
        what = what or getattr(fn, "__qualname__", getattr(fn, "__name__", "your code"))
        self.in_student_code += 1
        try:
            return fn(*args, **kwargs)
        except NotImplementedError as exc:
            raise NotDone(f"NotImplementedError: {exc}") from None
        except (Mismatch, NotDone, StudentError):
            raise
        except Exception as exc:
            raise StudentError(describe_exception(exc, self.student_file, what)) from None
        finally:
            self.in_student_code -= 1

    # -------------------------------------------------------------- comparisons
    def expect(self, what: str, got, expected, **options) -> None:
        """Raise Mismatch unless ``got`` matches ``expected`` (options as ``compare.difference``)."""
        message = difference(what, got, expected, **options)
        if message:
            raise Mismatch(message)

    def expect_count(self, what: str, names: list, got) -> None:
        """A function that returns several values (``names``): check that it returned that many."""
        if not isinstance(got, (tuple, list)):
            kind = "None" if got is None else f"one {type(got).__name__}"
            raise Mismatch(f"{what}: you returned {kind}, expected {len(names)} values ({', '.join(names)})")
        if len(got) != len(names):
            raise Mismatch(f"{what}: you returned {len(got)} values, expected {len(names)} ({', '.join(names)})")

    def expect_values(self, what: str, names: list, got, expected: tuple, mistakes: list | None = None,
                      **options) -> None:
        """Check the count of returned values, then each against ``expected`` (``mistakes``: one dict per value)."""
        self.expect_count(what, names, got)
        for k, (name, g, e) in enumerate(zip(names, got, expected)):
            self.expect(f"{what}: {name}", g, e, mistakes=mistakes[k] if mistakes else None, **options)

    def expect_gradient(self, name: str, analytic, numeric, **options) -> None:
        """The student's gradient of ``name`` against the finite-difference one."""
        options.setdefault("rtol", 1e-5)
        options.setdefault("atol", 1e-7)
        self.expect(f"gradient of {name}", analytic, numeric, got_label="analytic (yours)",
                    expected_label="numeric (finite differences)", expect_tensor=False, **options)

    # -------------------------------------------------------------- gradients of the student's code
    def function_backward(self, cls, inputs: list, upstream: np.ndarray):
        """Apply the student's autograd Function ``cls`` and call its backward directly.

        Float arrays in ``inputs`` become float64 leaves that require grad, other arrays constant
        tensors. Returns (output Tensor, tuple of one gradient per input, None where absent).
        Calling backward directly (not through the engine) shows exactly what it returned: the
        engine would quietly sum a gradient that was left with an extra batch dimension.
        """
        name = cls.__name__
        tensors = [tinynn.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a
                   for a in inputs]
        out = self.call(cls.apply, *tensors, what=f"{name}.forward")
        if not isinstance(out, tinynn.Tensor):
            raise Mismatch(f"{name}.forward: returned a {type(out).__name__}, expected one tinynn Tensor")
        node = out.grad_fn
        if node is None:
            raise Mismatch(f"{name}.apply returned a tensor without grad_fn: is {name} a tinynn.autograd.Function?")
        with tinynn.no_grad():
            grads = self.call(type(node).backward, node, tinynn.tensor(upstream), what=f"{name}.backward")
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        grads = tuple(grads)
        while len(grads) > len(inputs) and grads[-1] is None:   # extra trailing Nones are allowed
            grads = grads[:-1]
        if len(grads) > len(inputs):
            raise Mismatch(f"{name}.backward: returned {len(grads)} gradients, but forward has {len(inputs)} "
                           "inputs (one gradient per input, None for inputs without one)")
        return out, tuple(grads) + (None,) * (len(inputs) - len(grads))

    def autograd_gradients(self, what: str, outputs, inputs: list, upstreams: list) -> list:
        """Gradients of sum_k sum(upstream_k * output_k) w.r.t. ``inputs`` through tinynn's autograd.

        For exercises written with tinynn Tensor operations: autograd differentiates them, so the
        check is that the student's graph is connected (no detour through NumPy).
        """
        outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
        for out in outputs:
            if not isinstance(out, tinynn.Tensor) or not out.requires_grad:
                raise Mismatch(f"{what}: the output is not connected to the autograd graph (requires_grad is "
                               "False). Hint: build it from tinynn Tensor operations, without .numpy()")
        grads = tinynn.autograd.grad(outputs, inputs, grad_outputs=[tinynn.tensor(u) for u in upstreams],
                                     retain_graph=True, allow_unused=True)
        return [None if grad is None else grad.detach().numpy() for grad in grads]

    def require_gradient(self, name: str, grad):
        """Raise Mismatch when a gradient that should exist is missing."""
        if grad is None:
            raise Mismatch(f"gradient of {name}: none was computed (backward returned None for it, or "
                           f"{name} does not reach the output)")
        return grad
