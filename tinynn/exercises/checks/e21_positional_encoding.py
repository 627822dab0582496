"""Checks for exercise 21, positional encodings: the sinusoidal table against the formula and its
properties, and the learned module's parameter, output, gradients and length check."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch, StudentError


def _table(length: int, d: int, mistake: str = "") -> np.ndarray:
    """The sinusoidal table from the formula (float64), optionally with a known mistake, for the hints."""
    position = np.arange(length, dtype=np.float64)[:, None] + (1 if mistake == "from 1" else 0)
    columns = np.arange(d)
    exponent = columns if mistake == "column index" else columns - columns % 2   # 2i for both 2i and 2i + 1
    frequency = 10000.0 ** (exponent / d if mistake == "inverted" else -exponent / d)
    angles = position * frequency                                                # (length, d)
    if mistake == "halves":
        pairs = angles[:, 0::2]
        return np.concatenate([np.sin(pairs), np.cos(pairs[:, : d // 2])], axis=1)
    sine_columns = columns % 2 == (1 if mistake == "swapped" else 0)
    return np.where(sine_columns, np.sin(angles), np.cos(angles))


MISTAKES = {"swapped": "cos in the even columns and sin in the odd ones (swapped)",
            "halves": "all the sines first, then all the cosines; the columns interleave: sin, cos, sin, cos, ...",
            "column index": "the column index j in every exponent (10000^(j/d)); columns 2i and 2i+1 share 10000^(2i/d)",
            "from 1": "positions counted from 1; they start at 0, so PE[0] = [0, 1, 0, 1, ...]",
            "inverted": "pos * 10000^(2i/d): the frequency is its inverse, 1 / 10000^(2i/d)"}


def _expect_table(g: Grader, got, length: int, d: int) -> None:
    if isinstance(got, tinynn.Tensor) and tuple(got.shape) == (length, d + 1) and d % 2:
        raise Mismatch(f"PE: shape {(length, d + 1)} but expected {(length, d)}. Hint: for an odd d_model the "
                       "last sine has no cosine partner: keep only the cosines of the first d_model // 2 angles")
    if isinstance(got, tinynn.Tensor) and tuple(got.shape) == (length, d) and got.dtype != tinynn.get_default_dtype():
        raise Mismatch(f"PE: dtype {got.dtype} but expected {tinynn.get_default_dtype()}, tinynn's default float "
                       "dtype (the table is added to embeddings of that dtype). Hint: build it from "
                       "tinynn.arange(...).float(), or convert the result with .float()")
    expected = tinynn.tensor(_table(length, d).astype(np.float32))
    mistakes = {text: _table(length, d, m) for m, text in MISTAKES.items()}
    g.expect("PE", got, expected, rtol=1e-5, atol=1e-5, mistakes=mistakes, expected_label="the formula")


def _check_properties(g: Grader, table: np.ndarray) -> None:
    """Bounded, PE[0] = [0, 1, 0, 1, ...], distinct rows, dot products depending only on the offset."""
    largest = float(np.max(np.abs(table)))
    if not np.all(np.isfinite(table)) or largest > 1 + 1e-6:
        raise Mismatch(f"PE: values outside [-1, 1] (max |PE| = {largest:.6g}); sin and cos never leave it")
    first = np.where(np.arange(table.shape[1]) % 2 == 0, 0.0, 1.0)
    g.expect("PE[0], sin 0 and cos 0", table[0], first, atol=1e-6, check_dtype=False)
    distance = np.sqrt(((table[:, None, :] - table[None, :, :]) ** 2).sum(-1)) + np.eye(len(table)) * 1e9
    p, q = np.unravel_index(np.argmin(distance), distance.shape)
    if distance[p, q] < 1e-3:
        raise Mismatch(f"PE: rows {min(p, q)} and {max(p, q)} are the same (distance {distance[p, q]:.2g}): "
                       "every position needs its own row")
    for offset in (1, 2, 5):
        dots = (table[:-offset] * table[offset:]).sum(-1)   # PE[p] . PE[p + offset] for every p
        spread = float(dots.max() - dots.min())
        if spread > 1e-3:
            raise Mismatch(f"PE[p] . PE[p + {offset}] changes with p (from {dots.min():.6g} to {dots.max():.6g}); "
                           "with sin and cos of the same frequency in each column pair it depends only on the offset")


def grade(g: Grader, student, reference) -> None:
    cases = [(6, 4, "even d_model"), (6, 5, "odd d_model"), (1, 8, "one position"),
             (5, 1, "d_model 1: a single sine column"), (0, 4, "an empty table (length 0)"),
             (50, 16, "a long table")]
    for length, d, what in cases:
        with g.check(f"{what}: length {length}, d_model {d}", "sinusoidal_encoding", points=2 if d == 5 else 1):
            _expect_table(g, g.call(student.sinusoidal_encoding, length, d), length, d)

    with g.check("properties at length 64, d_model 16: bounded, PE[0] = [0, 1, 0, 1, ...], distinct rows, "
                 "PE[p] . PE[p + k] independent of p", "sinusoidal_encoding", points=2):
        got = g.call(student.sinusoidal_encoding, 64, 16)
        if not isinstance(got, tinynn.Tensor) or tuple(got.shape) != (64, 16):
            raise Mismatch(f"PE: expected a tinynn Tensor of shape (64, 16), got {type(got).__name__} "
                           f"{tuple(getattr(got, 'shape', ()))}")
        _check_properties(g, got.detach().numpy().astype(np.float64))

    _grade_learned(g, student)


def _learned(g: Grader, student, max_length: int, d: int, weight: np.ndarray | None = None):
    module = g.call(student.LearnedPositionalEncoding, max_length, d, what="LearnedPositionalEncoding.__init__")
    parameter = dict(module.named_parameters()).get("weight")
    if parameter is None:
        raise Mismatch("LearnedPositionalEncoding has no parameter named 'weight' (self.weight = nn.Parameter(...))")
    if tuple(parameter.shape) != (max_length, d):
        raise Mismatch(f"weight: shape {tuple(parameter.shape)} but expected {(max_length, d)} (max_length, d_model)")
    if weight is not None:
        with tinynn.no_grad():
            parameter.copy_(tinynn.tensor(weight))
    return module, parameter


def _grade_learned(g: Grader, student) -> None:
    with g.check("a parameter 'weight' (max_length, d_model) that requires grad, drawn from N(0, 0.02^2)",
                 "LearnedPositionalEncoding.__init__"):
        _, parameter = _learned(g, student, 8, 4)
        if not parameter.requires_grad:
            raise Mismatch("weight.requires_grad is False: a learned encoding must be trained")
        tinynn.manual_seed(0)
        _, big = _learned(g, student, 512, 64)
        values = big.detach().numpy().astype(np.float64)
        if not (0.018 < values.std() < 0.022 and abs(values.mean()) < 0.002):
            raise Mismatch(f"weight: mean {values.mean():.4g}, std {values.std():.4g} over 512 x 64 values; expected "
                           "mean 0 and std 0.02. Hint: tinynn.randn(max_length, d_model) * 0.02")

    for n, length, what in [(2, 5, "x (2, 5, 4), shorter than max_length 8"), (1, 8, "x (1, 8, 4), exactly max_length"),
                            (3, 1, "x (3, 1, 4), one position")]:
        weight = g.randn(8, 4).astype(np.float32)
        x, upstream = g.randn(n, length, 4).astype(np.float32), g.randn(n, length, 4).astype(np.float32)
        with g.check(what, "LearnedPositionalEncoding.forward"):
            module, parameter = _learned(g, student, 8, 4, weight)
            xt = tinynn.tensor(x, requires_grad=True)
            got = g.call(module, xt, what="LearnedPositionalEncoding.forward")
            g.expect("x + weight[:L]", got, tinynn.tensor(x + weight[:length]),
                     mistakes={"x + weight[-L:], the last rows; position pos uses row pos": x + weight[8 - length:]})
            grad_x, grad_weight = g.autograd_gradients("LearnedPositionalEncoding", got, [xt, parameter], [upstream])
            expected = np.zeros((8, 4), dtype=np.float32)
            expected[:length] = upstream.sum(0)   # each row used by every sequence of the batch
            g.expect("gradient of x", g.require_gradient("x", grad_x), upstream)
            g.expect("gradient of weight (rows past L get none)", g.require_gradient("weight", grad_weight), expected)

    with g.check("a sequence longer than max_length raises ValueError", "LearnedPositionalEncoding.forward"):
        module, _ = _learned(g, student, 8, 4)
        try:
            got = g.call(module, tinynn.zeros(1, 9, 4), what="LearnedPositionalEncoding.forward")
        except StudentError as exc:
            if "ValueError" not in str(exc):
                raise Mismatch(f"x (1, 9, 4) with max_length 8: {exc}; expected a ValueError that says the sequence "
                               "is longer than max_length") from None
        else:
            raise Mismatch(f"x (1, 9, 4) with max_length 8 returned a {type(got).__name__}: there is no row for "
                           "position 8, raise ValueError('... longer than max_length ...')")
