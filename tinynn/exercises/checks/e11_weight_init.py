"""Checks for exercise 11, weight initialisation: the fans, the gains, then large filled tensors checked by
their statistics (bounds, mean, std within what the sample size allows), in-place filling, and the
library's numbers for the same generator seed."""
from __future__ import annotations

import math

import numpy as np

import tinynn
import tinynn.nn.init as library
from ..grading import Grader, Mismatch

SEED = 7
LINEAR, CONV = (256, 512), (64, 32, 3, 3)      # fans (512, 256) and (288, 576)


def _fans(shape: tuple) -> tuple:
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _std_mistakes(shape: tuple, kind: str, gain: float, mode: str = "fan_in", a: float | None = None) -> dict:
    """What a known mistake makes the std of the filled tensor, for the hints."""
    fan_in, fan_out = _fans(shape)
    rf = math.prod(shape[2:])
    if kind == "xavier":
        right = gain * math.sqrt(2 / (fan_in + fan_out))
        found = {"the bound b = gain * sqrt(2 / (fan_in + fan_out)), the std itself (b = sqrt(3) * std)":
                 right / math.sqrt(3),
                 "b = gain * sqrt(6 / fan_in) (Xavier uses fan_in + fan_out)": gain * math.sqrt(2 / fan_in),
                 "the gain left out": right / gain,
                 "the gain squared": right * gain,
                 "the kernel size left out of the fans": gain * math.sqrt(2 / ((fan_in + fan_out) / rf))}
    else:
        fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
        right = gain / math.sqrt(fan)
        found = {f"the other fan ({'fan_out' if mode == 'fan_in' else 'fan_in'}); mode={mode!r} asks for {mode}":
                 gain / math.sqrt(other),
                 "the gain left out": 1 / math.sqrt(fan),
                 "the gain squared (2 for relu is the variance's factor; the std's is sqrt(2))":
                 gain ** 2 / math.sqrt(fan),
                 "the kernel size left out of the fans": gain / math.sqrt(fan / rf)}
        if kind == "kaiming_uniform_":
            found["the bound b = gain / sqrt(fan), the std itself (b = sqrt(3) * std)"] = right / math.sqrt(3)
        if a:
            found[f"the slope a = {a:.4g} ignored (the gain of leaky_relu with slope a is sqrt(2 / (1 + a^2)))"] = \
                math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(fan)
    return {text: std for text, std in found.items() if not math.isclose(std, right, rel_tol=1e-3)}


def _std_hint(ratio: float, expected: float, mistakes: dict, tolerance: float) -> str:
    for text, std in mistakes.items():
        if abs(ratio * expected / std - 1) <= tolerance:
            return f"your std equals {text}"
    return f"your std is {ratio:.4g} times the expected one"


def _expect_sample(what: str, t, uniform: bool, std: float, formula: str, mistakes: dict) -> None:
    """The filled tensor as a sample of U(-sqrt(3) std, sqrt(3) std) or N(0, std^2)."""
    values = np.asarray(t.detach().numpy(), dtype=np.float64).reshape(-1)
    n = values.size
    # sample std's relative standard error: sqrt((kurtosis - 1) / 4n), kurtosis 9/5 (uniform) or 3 (normal)
    tolerance = 5 * math.sqrt((0.8 if uniform else 2.0) / (4 * n))
    ratio = float(values.std()) / std
    if uniform:
        bound = math.sqrt(3) * std
        low, high = float(values.min()), float(values.max())
        if low >= 0:
            raise Mismatch(f"{what}: every value is >= 0 (min {low:.6g}). Hint: U(-b, b) is centred on 0: "
                           "t.uniform_(-b, b), not uniform_(0, b)")
        if max(-low, high) > bound * (1 + 1e-5):
            raise Mismatch(f"{what}: values outside [-b, b]: max |value| {max(-low, high):.6g}, "
                           f"b = sqrt(3) * {formula} = {bound:.6g}. Hint: {_std_hint(ratio, std, mistakes, tolerance)}")
        if min(-low, high) < 0.99 * bound:
            raise Mismatch(f"{what}: the values reach only [{low:.6g}, {high:.6g}], "
                           f"b = sqrt(3) * {formula} = {bound:.6g} "
                           f"({n} draws of U(-b, b) come within 1% of both ends). "
                           f"Hint: {_std_hint(ratio, std, mistakes, tolerance)}")
    elif np.abs(values).max() < 3 * std:
        raise Mismatch(f"{what}: no value beyond 3 std (max |value| {np.abs(values).max():.6g}, std {std:.6g}): "
                       "these do not look normal. Hint: t.normal_(0.0, std, generator=generator)")
    mean_tolerance = 5 * std / math.sqrt(n)
    if abs(values.mean()) > mean_tolerance:
        raise Mismatch(f"{what}: the mean of the {n} values is {values.mean():.6g}; expected 0 (within "
                       f"{mean_tolerance:.2g} for this many draws)")
    if abs(ratio - 1) > tolerance:
        raise Mismatch(f"{what}: the std of the {n} values is {values.std():.6g}, expected {formula} = {std:.6g} "
                       f"(within {100 * tolerance:.2g}% for this many draws). "
                       f"Hint: {_std_hint(ratio, std, mistakes, tolerance)}")


def _fill(g: Grader, fn, shape, what: str, dtype=tinynn.float32, **options):
    t = tinynn.empty(*shape, dtype=dtype)
    got = g.call(fn, t, **options, what=what)
    if got is not t:
        raise Mismatch(f"{what}: returned {'None' if got is None else 'another object'}; expected the tensor it "
                       "filled (fill t in place, then return t)")
    return t


def _grade_fans_and_gains(g: Grader, student) -> None:
    cases = [("linear weights (out, in)", [(3, 5), (256, 512), (1, 1)], 2),
             ("convolution weights (out, in, *kernel)", [(4, 2, 3, 3), (6, 4, 5), (2, 3, 1, 1), (8, 2, 3, 3, 3)], 2)]
    for name, shapes, points in cases:
        with g.check(name, "calculate_fan_in_and_fan_out", points):
            for shape in shapes:
                got = g.call(student.calculate_fan_in_and_fan_out, tinynn.zeros(*shape))
                expected = _fans(shape)
                if not isinstance(got, (tuple, list)) or len(got) != 2:
                    raise Mismatch(f"calculate_fan_in_and_fan_out(shape {shape}): returned {got!r}; expected the "
                                   f"pair (fan_in, fan_out) = {expected}")
                if tuple(got) != expected:
                    rf = math.prod(shape[2:])
                    hint = ("fan_in and fan_out swapped: the weight is (out, in, ...), so fan_in is shape[1]"
                            if tuple(got) == expected[::-1] else
                            f"the receptive field (the kernel's {rf} positions) left out of both fans"
                            if rf > 1 and tuple(got) == (shape[1], shape[0]) else
                            "fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field")
                    raise Mismatch(f"calculate_fan_in_and_fan_out(shape {shape}): got {tuple(got)}, expected "
                                   f"{expected}. Hint: {hint}")

    with g.check("a tensor with fewer than 2 dimensions has no fans (ValueError)", "calculate_fan_in_and_fan_out"):
        for shape in [(5,), ()]:
            try:
                got = g.call(student.calculate_fan_in_and_fan_out, tinynn.zeros(*shape))
            except Exception as exc:
                if "ValueError" not in str(exc):
                    raise
                continue
            raise Mismatch(f"calculate_fan_in_and_fan_out(shape {shape}): returned {got!r}; expected a ValueError "
                           "(fans need at least 2 dimensions: (out, in, ...))")

    names = [("linear", None), ("sigmoid", None), ("conv2d", None), ("conv1d", None), ("tanh", None), ("relu", None),
             ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5))]
    with g.check("the gains of linear, sigmoid, conv, tanh, relu and leaky_relu (with slopes None, 0.2, 0, sqrt(5))",
                 "calculate_gain", 2):
        for nonlinearity, param in names:
            got = g.call(student.calculate_gain, nonlinearity, param)
            expected = library.calculate_gain(nonlinearity, param)
            call = f"calculate_gain({nonlinearity!r}, {param!r})"
            if not isinstance(got, (int, float)) or not math.isclose(got, expected, rel_tol=1e-9):
                hint = ""
                if param == 0 and isinstance(got, float) and math.isclose(got, math.sqrt(2 / (1 + 1e-4)), rel_tol=1e-9):
                    hint = (". Hint: you used the default slope 0.01 for a slope of 0: `param or 0.01` treats 0 as "
                            "missing; test `param is None`")
                elif nonlinearity == "relu" and isinstance(got, (int, float)) and math.isclose(got, 2):
                    hint = ". Hint: 2 is the variance's factor; the gain multiplies the std: sqrt(2)"
                raise Mismatch(f"{call}: got {got!r}, expected {expected:.6g} (tinynn.nn.init.calculate_gain's){hint}")
    with g.check("an unknown nonlinearity raises ValueError", "calculate_gain"):
        try:
            got = g.call(student.calculate_gain, "swish")
        except Exception as exc:
            if "ValueError" not in str(exc):
                raise
        else:
            raise Mismatch(f"calculate_gain('swish'): returned {got!r}; expected a ValueError (an unknown name is "
                           "more likely a typo than a gain of 1)")


def _grade_filling(g: Grader, student, name: str, cases: list) -> None:
    """Statistics checks, then in place on a Parameter, then the library's numbers for a seed."""
    fn, library_fn = getattr(student, name), getattr(library, name)
    kind = "xavier" if name.startswith("xavier") else name
    uniform = name.endswith("uniform_")
    for shape, options, points in cases:
        text = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in options.items())
        what = f"{name}(shape {shape}{', ' + text if text else ''})"
        fan_in, fan_out = _fans(shape)
        with g.check(f"shape {shape} (fan_in {fan_in}, fan_out {fan_out}){', ' + text if text else ''}: "
                     "bounds, mean and std of the values", name, points):
            if kind == "xavier":
                gain = options.get("gain", 1.0)
                std, formula = gain * math.sqrt(2 / (fan_in + fan_out)), "gain * sqrt(2 / (fan_in + fan_out))"
                mistakes = _std_mistakes(shape, kind, gain)
            else:
                a, mode = options.get("a", 0.0), options.get("mode", "fan_in")
                gain = library.calculate_gain(options.get("nonlinearity", "leaky_relu"), a)
                std, formula = gain / math.sqrt(fan_in if mode == "fan_in" else fan_out), f"gain / sqrt({mode})"
                mistakes = _std_mistakes(shape, kind, gain, mode, a)
            t = _fill(g, fn, shape, what, generator=tinynn.Generator().manual_seed(SEED), **options)
            _expect_sample(what, t, uniform, std, formula, mistakes)

    with g.check("fills an nn.Parameter in place (it stays a float32 leaf that requires grad) and returns it", name):
        weight = tinynn.nn.Parameter(tinynn.zeros(16, 8))
        got = g.call(fn, weight, what=name)
        if got is not weight:
            raise Mismatch(f"{name}: returned {'None' if got is None else 'another object'}; expected the "
                           "Parameter it filled (fill it in place, then return it)")
        if not np.any(weight.detach().numpy() != 0):
            raise Mismatch(f"{name}: the Parameter is still all zeros. Hint: fill it in place with "
                           "t.uniform_(...) / t.normal_(...); a new tensor does not change the model's weight")
        if weight.grad_fn is not None or not weight.requires_grad or weight.dtype != tinynn.float32:
            raise Mismatch(f"{name}: afterwards the Parameter has grad_fn {weight.grad_fn}, requires_grad "
                           f"{weight.requires_grad}, dtype {weight.dtype}; expected a float32 leaf that requires "
                           "grad. Hint: fill it under `with tinynn.no_grad():`")

    shape, options, _ = cases[0]
    with g.check(f"a generator seeded {SEED} gives the library's numbers (tinynn.nn.init.{name})", name):
        draw = "t.uniform_(-b, b, generator=generator)" if uniform else "t.normal_(0.0, std, generator=generator)"
        first = _fill(g, fn, shape, name, generator=tinynn.Generator().manual_seed(SEED), **options)
        second = _fill(g, fn, shape, name, generator=tinynn.Generator().manual_seed(SEED), **options)
        if not np.array_equal(first.numpy(), second.numpy()):
            raise Mismatch(f"{name}: two tensors filled with generators seeded alike differ. Hint: draw from the "
                           f"generator argument ({draw})")
        expected = library_fn(tinynn.empty(*shape), generator=tinynn.Generator().manual_seed(SEED), **options)
        try:
            g.expect(f"{name}(shape {shape}) with a generator seeded {SEED}", first, expected, rtol=1e-5, atol=1e-7,
                     expected_label=f"tinynn.nn.init.{name}'s", expect_tensor=False)
        except Mismatch as exc:
            raise Mismatch(f"{exc}. The statistics may be right, but a seed should repeat the library's weights: "
                           f"draw with {draw}") from None


def grade(g: Grader, student, reference) -> None:
    _grade_fans_and_gains(g, student)
    _grade_filling(g, student, "xavier_uniform_", [(LINEAR, {}, 2), (CONV, {"gain": 5 / 3}, 1)])
    _grade_filling(g, student, "kaiming_uniform_", [(LINEAR, {}, 2),
                                                    (CONV, {"mode": "fan_out", "nonlinearity": "relu"}, 1),
                                                    ((128, 300), {"a": math.sqrt(5)}, 1)])
    _grade_filling(g, student, "kaiming_normal_", [(LINEAR, {"nonlinearity": "relu"}, 2),
                                                   (CONV, {"mode": "fan_out", "nonlinearity": "relu"}, 1),
                                                   ((128, 300), {"nonlinearity": "tanh"}, 1)])
