"""Checks for exercise 08, Adam: the first step, several steps against tinynn.optim.Adam, dtype, purity."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch

SETTINGS = [dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
            dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1)]


def _wrong_step(p, grad, m, v, t, lr, betas, eps, weight_decay, mistake):
    """Adam with a known mistake, for the hints."""
    beta1, beta2 = betas
    if weight_decay and mistake != "no decay":
        grad = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    if mistake == "no correction":
        return p - lr * m / (np.sqrt(v) + eps)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    if mistake == "eps inside":
        return p - lr * m_hat / np.sqrt(v_hat + eps)
    if mistake == "step 0":
        m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


MISTAKES = {"no correction": "Adam without the bias corrections 1 - beta^t",
            "eps inside": "eps inside the square root (it is added to sqrt(v_hat))",
            "step 0": "the bias corrections with t + 1 (the first step is t = 1)",
            "no decay": "the weight decay left out (g + weight_decay * p)"}


def _library_run(param, grads, settings):
    """tinynn.optim.Adam on the same gradients: the parameter and its moments after each step."""
    p = tinynn.tensor(param.copy(), requires_grad=True)
    optimizer = tinynn.optim.Adam([p], **settings)
    history = []
    for grad in grads:
        p.grad = tinynn.tensor(grad)
        optimizer.step()
        state = optimizer.state[p]
        history.append((p.detach().numpy().copy(), state["exp_avg"].numpy().copy(), state["exp_avg_sq"].numpy().copy()))
    return history


def _expect_step(g: Grader, what: str, got, expected, param, mistakes=None, **options) -> None:
    """Compare (param, m, v); the parameter through its update p_t - p, where the mistakes show."""
    g.expect_count(what, ["param", "exp_avg", "exp_avg_sq"], got)
    new_param, exp_avg, exp_avg_sq = got
    if new_param is not None:
        update = np.asarray(new_param.numpy() if hasattr(new_param, "numpy") else new_param) - param
        g.expect(f"{what}: the update param_t - param", update, np.asarray(expected[0]) - param,
                 mistakes={text: wrong - param for text, wrong in (mistakes or {}).items()}, check_dtype=False, **options)
    g.expect_values(what, ["param", "exp_avg", "exp_avg_sq"], got, expected, **options)


def grade(g: Grader, student, reference) -> None:
    for shape in [(3,), (2, 3), ()]:
        p, grad = g.randn(*shape), g.randn(*shape)
        zeros = np.zeros(shape)
        with g.check(f"the first step (t = 1) from zero moments, shape {shape}", "adam_step"):
            got = g.call(student.adam_step, p.copy(), grad.copy(), zeros.copy(), zeros.copy(), 1)
            expected = reference.adam_step(p, grad, zeros, zeros, 1)
            mistakes = {text: _wrong_step(p, grad, zeros, zeros, 1, 1e-3, (0.9, 0.999), 1e-8, 0.0, m)
                        for m, text in MISTAKES.items()}
            _expect_step(g, "adam_step", got, expected, p, mistakes)

    for settings in SETTINGS:
        p0 = g.randn(2, 4)
        grads = [g.randn(2, 4) for _ in range(6)]
        text = ", ".join(f"{k}={v}" for k, v in settings.items())
        with g.check(f"6 steps with {text}, against tinynn.optim.Adam", "adam_step"):
            p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
            library = _library_run(p0, grads, settings)
            for t, grad in enumerate(grads, start=1):
                expected = reference.adam_step(p, grad, m, v, t, **settings)
                mistakes = {text: _wrong_step(p, grad, m, v, t, **settings, mistake=k) for k, text in MISTAKES.items()}
                got = g.call(student.adam_step, p.copy(), grad.copy(), m.copy(), v.copy(), t, **settings)
                _expect_step(g, f"step {t}", got, expected, p, mistakes)
                _expect_step(g, f"step {t} against tinynn.optim.Adam", got, library[t - 1], p,
                             expected_label="tinynn.optim.Adam")
                p, m, v = (np.asarray(a) for a in got)

    p, zeros = g.randn(5), np.zeros(5)
    with g.check("a zero gradient leaves the parameter where it is", "adam_step"):
        got = g.call(student.adam_step, p.copy(), zeros.copy(), zeros.copy(), zeros.copy(), 1)
        g.expect_values("adam_step", ["param", "exp_avg", "exp_avg_sq"], got, (p, zeros, zeros))

    p, grad, m, v = (g.randn(3, 2) for _ in range(4))
    v = np.abs(v)
    with g.check("the inputs are left unchanged (new arrays are returned)", "adam_step"):
        inputs = [a.copy() for a in (p, grad, m, v)]
        g.call(student.adam_step, *inputs, 3, weight_decay=0.01)
        for name, before, after in zip(("param", "grad", "exp_avg", "exp_avg_sq"), (p, grad, m, v), inputs):
            if not np.array_equal(before, after):
                raise Mismatch(f"adam_step changed its input {name} in place. Hint: compute new arrays "
                               "(m = beta1 * m + ...), not m *= beta1")

    p32, g32 = g.randn(4, dtype=np.float32), g.randn(4, dtype=np.float32)
    z32 = np.zeros(4, dtype=np.float32)
    with g.check("a float32 parameter stays float32", "adam_step"):
        got = g.call(student.adam_step, p32.copy(), g32.copy(), z32.copy(), z32.copy(), 1)
        g.expect_values("adam_step", ["param", "exp_avg", "exp_avg_sq"], got,
                        reference.adam_step(p32, g32, z32, z32, 1), rtol=1e-6)
