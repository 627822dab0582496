"""Checking a prediction request before the model sees it: every mistake is a 4xx that says what was
expected and what came, never an exception from deep inside NumPy or the model.

The request body is JSON ``{"inputs": X}`` where X is a batch: a list of examples, each a nested
list of numbers of the example shape (``input_shape``; ``None`` marks a size that varies, such as
a sequence length). When the example shape is known, X may also be one example on its own (one
dimension fewer than a batch, so the two cannot be confused); the answer is then one output, not
a list of one.

    status  when
    400     the body is not JSON (bad syntax, not UTF-8, NaN or Infinity, which JSON does not have)
    413     the body is larger than max_body_bytes (from Content-Length, and counted while reading)
    415     the Content-Type is not application/json
    422     valid JSON of the wrong form: not an object, "inputs" missing or unknown keys, strings,
            bools or nulls among the numbers, ragged lists, the wrong shape, numbers that overflow
            the input dtype, an empty batch, more than max_batch examples
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

MAX_DIMENSIONS = 32
_ALLOWED_KEYS = ("inputs",)


class InputError(Exception):
    """A request the service refuses: an HTTP status, a message, what was expected and what came."""

    def __init__(self, status: int, message: str, expected: str, got: str):
        super().__init__(message)
        self.status, self.message, self.expected, self.got = status, message, expected, got

    def payload(self) -> dict:
        return {"detail": self.message, "expected": self.expected, "got": self.got}


@dataclass(frozen=True)
class InputSpec:
    """What one example looks like: shape (None entries vary; None: any shape) and dtype; and limits."""

    shape: tuple | None
    dtype: np.dtype
    max_batch: int

    def describe(self) -> str:
        if self.shape is None:
            return f"a batch of at most {self.max_batch} examples of any (consistent) shape, {self.dtype}"
        return f"a batch of shape {_shape_text(('N',) + self.shape)} (N <= {self.max_batch}) or one input of " \
               f"shape {_shape_text(self.shape)}, {self.dtype}"


def _shape_text(shape) -> str:
    sizes = ["?" if size is None else str(size) for size in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


# ---------------------------------------------------------------------- the HTTP envelope
def check_content_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InputError(415, "the body must be JSON, sent with Content-Type: application/json",
                         "Content-Type: application/json", f"Content-Type: {content_type or '(none)'}")


def check_content_length(content_length: str | None, limit: int) -> None:
    """The declared size, checked before a byte of the body is read (None: chunked, counted while reading)."""
    if content_length is None:
        return
    if not content_length.strip().isdigit():
        raise InputError(400, "the Content-Length header is not a number", "Content-Length: a byte count",
                         f"Content-Length: {content_length[:40]!r}")
    if int(content_length) > limit:
        raise too_large(f"{int(content_length)} bytes (Content-Length)", limit)


def too_large(got: str, limit: int) -> InputError:
    return InputError(413, f"the body is larger than this service accepts ({limit} bytes); split the batch",
                      f"a body of at most {limit} bytes", got)


def _refuse_constant(word: str):
    raise ValueError(f"{word} is not a JSON number (JSON has no NaN or Infinity); send finite numbers")


def parse_json(body: bytes):
    if not body:
        raise InputError(400, "the body is empty", 'a JSON object {"inputs": [...]}', "an empty body")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise InputError(400, f"the body is not valid JSON: {reason}", 'a JSON object {"inputs": [...]}',
                         f"{body[:60]!r}{'...' if len(body) > 60 else ''}") from None


# ---------------------------------------------------------------------- the inputs
def batch_from_request(request, spec: InputSpec) -> tuple[np.ndarray, bool]:
    """(the batch as an array (N, *shape) of spec.dtype, whether the request held one example alone)."""
    if not isinstance(request, dict):
        raise InputError(422, 'the body must be a JSON object with the key "inputs"', '{"inputs": [...]}',
                         f"a JSON {_json_kind(request)}")
    unknown = [key for key in request if key not in _ALLOWED_KEYS]
    if "inputs" not in request or unknown:
        problem = f"unknown keys {unknown}" if unknown else 'no key "inputs"'
        raise InputError(422, f'the body must hold exactly the key "inputs" ({problem})', '{"inputs": [...]}',
                         f"keys {list(request)}")
    inputs = request["inputs"]
    if inputs == []:
        raise InputError(422, "the batch is empty: nothing to predict", spec.describe(), "[]")
    shape = _nested_shape(inputs, "inputs", 0, spec.dtype)
    single = spec.shape is not None and len(shape) == len(spec.shape)
    if spec.shape is None and not shape:
        raise InputError(422, "inputs must be a list of examples (a batch)", spec.describe(), "a single number")
    if spec.shape is not None and not single and len(shape) != len(spec.shape) + 1:
        raise InputError(422, f"inputs has {len(shape)} dimensions; expected {len(spec.shape) + 1} (a batch) or "
                         f"{len(spec.shape)} (one input)", spec.describe(), f"shape {_shape_text(shape)}")
    batch_shape = (1,) + shape if single else shape
    if spec.shape is not None:
        for axis, (want, got) in enumerate(zip(spec.shape, batch_shape[1:])):
            if (want is not None and got != want) or got == 0:
                raise InputError(422, f"each input must have shape {_shape_text(spec.shape)}, but its dimension "
                                 f"{axis} has size {got}", spec.describe(), f"shape {_shape_text(shape)}")
    if batch_shape[0] > spec.max_batch:
        raise InputError(422, f"the batch holds {batch_shape[0]} inputs; this service takes at most "
                         f"{spec.max_batch} per request: split it", spec.describe(), f"{batch_shape[0]} inputs")
    array = _to_array(inputs, spec.dtype)
    return array.reshape(batch_shape), single


def _json_kind(value) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(type(value), "value")


def _nested_shape(value, where: str, depth: int, dtype: np.dtype) -> tuple:
    """The shape of a rectangular nested list of numbers; a 422 naming the first place that is not."""
    if depth > MAX_DIMENSIONS:
        raise InputError(422, f"inputs are nested more than {MAX_DIMENSIONS} lists deep",
                         f"at most {MAX_DIMENSIONS} dimensions", "deeper nesting")
    if type(value) is list:
        if not value:
            return (0,)
        if {type(item) for item in value} <= _number_types(dtype):  # the common innermost list, in one step
            return (len(value),)
        shapes = [_nested_shape(item, f"{where}[{i}]", depth + 1, dtype) for i, item in enumerate(value)]
        for i, shape in enumerate(shapes):
            if shape != shapes[0]:
                raise InputError(422, f"ragged inputs: {where}[0] has shape {_shape_text(shapes[0])} but "
                                 f"{where}[{i}] has shape {_shape_text(shape)}; every input must have the same "
                                 "shape", "equal-length lists at each level", f"{where}[{i}] = {_short(value[i])}")
        return (len(value),) + shapes[0]
    integers = dtype.kind in "iu"
    wanted = "an integer" if integers else "a number"
    if type(value) is int or (type(value) is float and not integers):
        return ()
    if type(value) is float:  # an integer dtype: 2.0 is not taken for 2
        raise InputError(422, f"{where} is {value!r}; the model takes {dtype} inputs", wanted, _short(value))
    raise InputError(422, f"{where} is a JSON {_json_kind(value)}, not a number; the model takes {dtype} inputs",
                     wanted, f"{where} = {_short(value)}")


def _number_types(dtype: np.dtype) -> set:
    return {int} if dtype.kind in "iu" else {int, float}


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _to_array(inputs, dtype: np.dtype) -> np.ndarray:
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        array = np.array(inputs, dtype=object)  # Python ints of any size: check the range before converting
        flat = array.reshape(-1)
        outside = [v for v in flat if not info.min <= v <= info.max]
        if outside:
            shown = _short(outside[0])
            raise InputError(422, f"{shown} does not fit the model's input dtype {dtype}",
                             f"integers from {info.min} to {info.max}", shown)
        return array.astype(dtype)
    limit = f"numbers of magnitude below {np.finfo(dtype).max:.3g}"
    try:
        with np.errstate(over="ignore"):
            array = np.array(inputs, dtype=dtype)
    except OverflowError:  # a Python int beyond any float (10**400)
        raise InputError(422, f"an integer in inputs overflows the model's input dtype {dtype}", limit,
                         "an out-of-range integer") from None
    if not np.isfinite(array).all():
        position = [int(i) for i in np.argwhere(~np.isfinite(array))[0]]
        raise InputError(422, f"inputs{position} overflows the model's input dtype {dtype}", limit,
                         "an out-of-range number")
    return array
