"""Checks for exercise 33, dynamic loss scaling: the inf/NaN test, scaling the loss, unscaling in place, the
skipped step, the scale's growth and backoff, and a whole training run next to tinynn.amp.GradScaler."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch

INF, NAN = float("inf"), float("nan")


def _params(g: Grader, grads: list) -> list:
    """float32 parameters with the given gradients (None: no gradient)."""
    params = []
    for grad in grads:
        shape = np.shape(grad) if grad is not None else (2,)
        p = tinynn.tensor(g.randn(*shape).astype(np.float32), requires_grad=True)
        p.grad = None if grad is None else tinynn.tensor(np.asarray(grad, dtype=np.float32))
        params.append(p)
    return params


def _grads(params) -> list:
    return [None if p.grad is None else p.grad.numpy().copy() for p in params]


def _check_has_inf(g: Grader, student) -> None:
    cases = [("finite values", [g.randn(3, 2), g.randn(4)], False),
             ("an inf in the second tensor", [g.randn(3), np.array([1.0, INF])], True),
             ("a NaN", [np.array([[0.5, NAN]])], True), ("a -inf", [np.array([-INF, 2.0])], True),
             ("float16 with an inf (an overflow past 65504)", [np.array([1.0, INF], dtype=np.float16)], True),
             ("an empty list", [], False)]
    for case, arrays, expected in cases:
        with g.check(case, "has_inf_or_nan"):
            got = g.call(student.has_inf_or_nan, [tinynn.tensor(a) for a in arrays])
            if got is None or bool(got) != expected:
                raise Mismatch(f"has_inf_or_nan on {case}: got {got!r}, expected {expected}")


def _check_scale_loss(g: Grader, student) -> None:
    w = g.randn(3).astype(np.float32)
    with g.check("a float32 loss, scale 1024: value and gradient", "DynamicLossScaler.scale_loss"):
        scaler = student.DynamicLossScaler(init_scale=1024.0)
        weight = tinynn.tensor(w, requires_grad=True)
        loss = (weight * weight).sum()
        got = g.call(scaler.scale_loss, loss)
        g.expect("scaled loss", got, loss.detach() * 1024.0, rtol=1e-6)
        if not isinstance(got, tinynn.Tensor) or not got.requires_grad:
            raise Mismatch("scale_loss: the scaled loss is not connected to the autograd graph. Hint: multiply the "
                           "loss tensor itself (loss * self.scale), without .item() or .numpy()")
        got.backward()
        g.expect("gradient of the scaled loss", weight.grad, tinynn.tensor(2 * w * 1024.0), rtol=1e-6)

    with g.check("a float16 loss stays float16", "DynamicLossScaler.scale_loss"):
        scaler = student.DynamicLossScaler(init_scale=1024.0)
        loss = tinynn.tensor(np.float16(3.0))
        g.expect("scaled loss", g.call(scaler.scale_loss, loss), tinynn.tensor(np.float16(3072.0)))


def _check_unscale(g: Grader, student) -> None:
    cases = [("finite gradients", [g.randn(3, 2), g.randn(2)], None, False),
             ("an inf in one gradient", [g.randn(3, 2), np.array([INF, 1.0])], None, True),
             ("two parameter groups, one parameter without a gradient", [g.randn(2, 2), None, g.randn(3)], 2, False)]
    for case, grads, split, expected_inf in cases:
        with g.check(f"{case}, scale 256", "DynamicLossScaler.unscale_"):
            params = _params(g, grads)
            library_params = [tinynn.tensor(p.detach().numpy(), requires_grad=True) for p in params]
            for p, q in zip(params, library_params):
                q.grad = None if p.grad is None else tinynn.tensor(p.grad.numpy().copy())
            groups = [params] if split is None else [params[:split], params[split:]]
            optimizer = tinynn.optim.SGD([{"params": group} for group in groups], lr=0.1)
            scaler = student.DynamicLossScaler(init_scale=256.0)
            found = g.call(scaler.unscale_, optimizer, what="DynamicLossScaler.unscale_")
            library = tinynn.amp.GradScaler("cpu", init_scale=256.0)
            library.unscale_(tinynn.optim.SGD(library_params, lr=0.1))
            for k, (mine, theirs) in enumerate(zip(_grads(params), _grads(library_params))):
                if theirs is None:
                    if mine is not None:
                        raise Mismatch(f"parameter {k} had no gradient, and now has one: skip p.grad None")
                    continue
                g.expect(f"gradient {k} after unscale_", mine, theirs, rtol=1e-6, expected_label="GradScaler's",
                         mistakes={"the gradient still scaled (unscale_ must change p.grad in place, or assign it)":
                                   theirs * 256, "the gradient multiplied by the scale": theirs * 256 * 256})
            if found is None or bool(found) != expected_inf or scaler.found_inf != expected_inf:
                raise Mismatch(f"unscale_ returned {found!r} and set found_inf = {scaler.found_inf!r}; expected "
                               f"{expected_inf} for both")
            if scaler.unscaled is not True:
                raise Mismatch("unscale_ did not set self.unscaled = True: step() would unscale a second time")


def _sgd_case(g: Grader, student, inject: float | None, unscale_first: bool):
    """One step of the student's scaler with SGD: (what step returned, the weight after it, the weight
    expected, the weight had the gradient been unscaled twice)."""
    w = g.randn(3, 2).astype(np.float32)
    grad = g.randn(3, 2).astype(np.float32) * 64
    if inject is not None:
        grad[1, 0] = inject
    weight = tinynn.tensor(w, requires_grad=True)
    weight.grad = tinynn.tensor(grad)
    optimizer = tinynn.optim.SGD([weight], lr=0.5)
    scaler = student.DynamicLossScaler(init_scale=64.0)
    if unscale_first:
        g.call(scaler.unscale_, optimizer, what="DynamicLossScaler.unscale_")
    stepped = g.call(scaler.step, optimizer, what="DynamicLossScaler.step")
    expected = w if inject is not None else w - 0.5 * grad / 64
    return stepped, weight.detach().numpy(), expected, w - 0.5 * grad / 64 / 64


def _check_step(g: Grader, student) -> None:
    for case, inject, unscale_first in (("finite gradients", None, False), ("an inf gradient", INF, False),
                                        ("a NaN gradient", NAN, False),
                                        ("unscale_ called first (to clip), then step", None, True)):
        with g.check(f"{case}, scale 64, SGD lr 0.5", "DynamicLossScaler.step", points=2 if inject is None else 1):
            stepped, got, expected, twice = _sgd_case(g, student, inject, unscale_first)
            if stepped is None or bool(stepped) != (inject is None):
                raise Mismatch(f"step returned {stepped!r}, expected {inject is None} "
                               + ("(the step must be skipped)" if inject is not None else "(it stepped)"))
            if inject is not None and not np.array_equal(got, expected):
                raise Mismatch(f"the weight changed although a gradient was {inject}: the step must be skipped "
                               "(one inf or NaN would ruin the weights)")
            g.expect("weight after the step", got, expected, rtol=1e-6, mistakes={
                "the update with gradients divided by the scale twice (step unscaled again after unscale_)": twice})


def _run_updates(g: Grader, scaler, pattern: list) -> list:
    scales = []
    for found in pattern:
        scaler.found_inf = found
        g.call(scaler.update, what="DynamicLossScaler.update")
        scales.append(scaler.scale)
        if scaler.found_inf is not None or scaler.unscaled:
            raise Mismatch("update did not reset found_inf to None and unscaled to False for the next step")
    return scales


def _check_update(g: Grader, student, reference) -> None:
    cases = [("the docstring's example", 8.0, 2, [False, False, True, False, False, False]),
             ("backoff restarts the count of clean steps", 8.0, 2,
              [False, True, False, False, False, False, True, False]),
             ("growth_interval 3, two infs in a row", 1024.0, 3, [True, True, False, False, False, False])]
    for case, init, interval, pattern in cases:
        steps = ", ".join("inf" if found else "clean" for found in pattern)
        with g.check(f"{case}: S = {init:g}, growth_interval {interval}, steps {steps}", "DynamicLossScaler.update",
                     points=2 if case.startswith("backoff") else 1):
            scaler = student.DynamicLossScaler(init_scale=init, growth_interval=interval)
            got = _run_updates(g, scaler, pattern)
            expected = _run_updates(g, reference.DynamicLossScaler(init_scale=init, growth_interval=interval), pattern)
            if got != expected:
                first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
                event = "inf" if pattern[first] else "clean"
                raise Mismatch(f"the scale after each update: yours {got}, expected {expected}; first differs after "
                               f"step {first + 1} ({event}). Hint: an inf multiplies by backoff_factor and sets "
                               "good_steps to 0; a clean step counts, and the growth_interval-th one in a row "
                               "multiplies by growth_factor and sets good_steps to 0")


def _check_training(g: Grader, student) -> None:
    """12 steps of a least-squares fit with inf/NaN injected, next to GradScaler on a copy of the weights."""
    x, target = tinynn.tensor(g.randn(8, 4).astype(np.float32)), tinynn.tensor(g.randn(8, 3).astype(np.float32))
    start = [g.randn(4, 3).astype(np.float32), g.randn(3).astype(np.float32)]
    inject, clip_at = {3: INF, 4: NAN, 9: -INF}, {6, 7}
    runs = []
    for who in ("yours", "GradScaler"):
        params = [tinynn.tensor(a.copy(), requires_grad=True) for a in start]
        optimizer = tinynn.optim.SGD(params, lr=0.05, momentum=0.9)
        scaler = (student.DynamicLossScaler(init_scale=2.0**10, growth_interval=3) if who == "yours"
                  else tinynn.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3))
        scale_loss = scaler.scale_loss if who == "yours" else scaler.scale
        call = g.call if who == "yours" else (lambda fn, *args, what=None: fn(*args))
        history = []
        for step in range(12):
            optimizer.zero_grad()
            loss = ((x @ params[0] + params[1] - target) ** 2).mean()
            scaled = call(scale_loss, loss, what="DynamicLossScaler.scale_loss")
            call(scaled.backward, what="backward of scale_loss(loss)")
            if step in inject:
                params[0].grad = params[0].grad + tinynn.tensor(np.where(np.arange(12).reshape(4, 3) == 5,
                                                                         np.float32(inject[step]), np.float32(0)))
            if step in clip_at:   # unscale first, as for gradient clipping
                call(scaler.unscale_, optimizer, what="DynamicLossScaler.unscale_")
            call(scaler.step, optimizer, what="DynamicLossScaler.step")
            call(scaler.update, what="DynamicLossScaler.update")
            scale = scaler.scale if who == "yours" else scaler.get_scale()
            history.append((scale, [p.detach().numpy().copy() for p in params]))
        runs.append(history)
    for step, ((scale, params), (library_scale, library_params)) in enumerate(zip(*runs)):
        event = {INF: "an inf", -INF: "a -inf"}.get(inject.get(step), "a NaN" if step in inject else "clean")
        event += ", unscale_ before step" if step in clip_at else ""
        if scale != library_scale:
            raise Mismatch(f"after step {step + 1} ({event}): scale {scale:g}, GradScaler's {library_scale:g}")
        for name, mine, theirs in zip(("weight", "bias"), params, library_params):
            g.expect(f"after step {step + 1} ({event}): {name}", mine, theirs, rtol=1e-5, atol=1e-7,
                     expected_label="with GradScaler", got_label="with yours")


def grade(g: Grader, student, reference) -> None:
    _check_has_inf(g, student)
    _check_scale_loss(g, student)
    _check_unscale(g, student)
    _check_step(g, student)
    _check_update(g, student, reference)
    with g.check("12 SGD steps with injected inf and NaN gradients and two unscale_ calls, next to "
                 "tinynn.amp.GradScaler: the scale and the weights after every step", "DynamicLossScaler.step",
                 points=3):
        _check_training(g, student)
