"""Checks for exercise 09, Adam: adam_step (the first step, several steps against tinynn.optim.Adam, dtype, purity),
then the Adam class step by step against tinynn.optim.Adam (in-place updates, skipped parameters, state, zero_grad)."""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn import nn
from ..grading import Grader, Mismatch, StudentError

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
        with g.check(f"6 steps with {text}, against tinynn.optim.Adam", "adam_step", points=2):
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

    grade_optimizer(g, student)


# ------------------------------------------------------------------------------------------ the Adam class
def _make_params(arrays: list, requires_grad=True) -> list:
    return [tinynn.tensor(a.copy(), requires_grad=requires_grad) for a in arrays]


def _build(g: Grader, cls, params, **settings):
    return g.call(cls, params, **settings, what="Adam.__init__")


NOT_IN_PLACE = ("the parameter before the step: it was not updated in place (the model holds this Tensor; write "
                "into it with p.copy_(...) under tinynn.no_grad())")


def _expect_params(g: Grader, what: str, mine: list, library: list, before: list, unchanged=NOT_IN_PLACE) -> None:
    """Each of the student's parameters (the same Tensor objects) against the library's after a step."""
    for i, (p, q, old) in enumerate(zip(mine, library, before)):
        g.expect(f"{what}: parameter {i}", p.detach(), q.detach(), expected_label="tinynn.optim.Adam",
                 mistakes={unchanged: old})


def _run_both(g: Grader, student, arrays: list, grads_per_step: list, settings: dict, what: str):
    """Step the student's Adam and tinynn.optim.Adam on the same gradients (None: no gradient this step)."""
    mine, library = _make_params(arrays), _make_params(arrays)
    optimizer = _build(g, student.Adam, mine, **settings)
    reference = tinynn.optim.Adam(library, **settings)
    for t, grads in enumerate(grads_per_step, start=1):
        before = [p.detach().numpy().copy() for p in mine]
        for p, q, grad in zip(mine, library, grads):
            p.grad, q.grad = (None, None) if grad is None else (tinynn.tensor(grad), tinynn.tensor(grad))
        try:
            g.call(optimizer.step, what="Adam.step")
        except StudentError as exc:
            if any(grad is None for grad in grads) and "NoneType" in str(exc):
                error = str(exc).split(". Hint:")[0]   # the generic hint (a missing return?) does not apply here
                raise Mismatch(f"Adam.step at step {t}, where a parameter's .grad is None: {error}. Hint: skip "
                               "parameters without a gradient (if p.grad is None: continue), as PyTorch does") from None
            raise
        reference.step()
        _expect_params(g, f"{what}, after step {t}", mine, library, before)
    return optimizer, reference, mine, library


GENERATOR_USED_UP = ("the parameter before the step: step() updated nothing. A generator such as model.parameters() "
                     "can be iterated only once: keep list(params) in __init__ (or, if it is a list, write into each "
                     "parameter in place with p.copy_(...))")


def grade_optimizer(g: Grader, student) -> None:
    with g.check("Adam(model.parameters()): a generator, iterated once, trains a model over 3 steps",
                 "Adam.__init__"):
        x, target = g.randn(5, 3), g.randn(5, 2)
        models = [nn.Linear(3, 2, dtype=tinynn.float64) for _ in range(2)]
        models[1].load_state_dict(models[0].state_dict())
        optimizer = _build(g, student.Adam, models[0].parameters(), lr=0.1)
        reference = tinynn.optim.Adam(models[1].parameters(), lr=0.1)
        mine, library = list(models[0].parameters()), list(models[1].parameters())

        def loss(model):
            return ((model(tinynn.tensor(x)) - tinynn.tensor(target)) ** 2).mean()

        for t in range(1, 4):
            before = [p.detach().numpy().copy() for p in mine]
            g.call(optimizer.zero_grad, what="Adam.zero_grad")
            loss(models[0]).backward()
            g.call(optimizer.step, what="Adam.step")
            reference.zero_grad()
            loss(models[1]).backward()
            reference.step()
            _expect_params(g, f"training step {t}", mine, library, before, unchanged=GENERATOR_USED_UP)

    arrays = [g.randn(3, 2), g.randn(2)]
    for settings in SETTINGS:
        text = ", ".join(f"{k}={v}" for k, v in settings.items())
        grads = [[g.randn(3, 2), g.randn(2)] for _ in range(4)]
        with g.check(f"Adam on a (3, 2) weight and a (2,) bias, 4 steps with {text}, against tinynn.optim.Adam",
                     "Adam.step", points=2):
            _run_both(g, student, arrays, grads, settings, "Adam")

    grads = [[g.randn(3, 2), None], [g.randn(3, 2), g.randn(2)], [None, g.randn(2)]]
    with g.check("a parameter whose .grad is None is skipped: not updated, and its step count waits",
                 "Adam.step"):
        _run_both(g, student, arrays, grads, SETTINGS[1], "gradients (w, None), (w, b), (None, b)")

    with g.check("optimizer.state[p] holds step, exp_avg and exp_avg_sq, as tinynn.optim.Adam's", "Adam.step"):
        optimizer, reference, mine, library = _run_both(g, student, arrays, grads, SETTINGS[1], "state")
        state = getattr(optimizer, "state", None)
        for i, (p, q) in enumerate(zip(mine, library)):
            if not isinstance(state, dict) or p not in state:
                raise Mismatch(f"optimizer.state has no entry for parameter {i}. Hint: self.state[p] = "
                               "{'step': 0, 'exp_avg': zeros, 'exp_avg_sq': zeros} the first time p has a gradient")
            expected = reference.state[q]
            if state[p].get("step") != expected["step"]:
                raise Mismatch(f"optimizer.state[parameter {i}]['step'] is {state[p].get('step')!r}, expected "
                               f"{expected['step']} (it counts the steps in which the parameter had a gradient)")
            for key in ("exp_avg", "exp_avg_sq"):
                g.expect(f"optimizer.state[parameter {i}][{key!r}]", state[p].get(key), expected[key].numpy(),
                         expected_label="tinynn.optim.Adam's", expect_tensor=False, check_dtype=False)

    with g.check("a float32 parameter stays float32", "Adam.step"):
        params = _make_params([g.randn(4, dtype=np.float32)])
        optimizer = _build(g, student.Adam, params, lr=0.01)
        params[0].grad = tinynn.tensor(g.randn(4, dtype=np.float32))
        g.call(optimizer.step, what="Adam.step")
        if params[0].dtype != tinynn.float32:
            raise Mismatch(f"the parameter became {params[0].dtype} after step(). Hint: keep its dtype "
                           "(adam_step keeps it; copy_ into the same Tensor)")

    with g.check("zero_grad sets every .grad to None", "Adam.zero_grad"):
        params = _make_params(arrays)
        optimizer = _build(g, student.Adam, params)
        for p in params:
            p.grad = tinynn.ones(*p.shape, dtype=tinynn.float64)
        g.call(optimizer.zero_grad, what="Adam.zero_grad")
        for i, p in enumerate(params):
            if p.grad is not None:
                raise Mismatch(f"after zero_grad(), parameter {i} has .grad {p.grad}, expected None")
