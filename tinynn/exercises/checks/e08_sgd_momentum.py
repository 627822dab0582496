"""Checks for exercise 08, SGD: zero_grad, then step by step against tinynn.optim.SGD (plain, momentum,
Nesterov, weight decay), missing gradients, in-place updates outside the graph, float32, a training run."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch, StudentError

# (settings, points): every combination the rule has a branch for
SETTINGS = [(dict(lr=0.1), 2),
            (dict(lr=0.05, momentum=0.9), 3),
            (dict(lr=0.05, momentum=0.9, nesterov=True), 2),
            (dict(lr=0.1, weight_decay=0.1), 1),
            (dict(lr=0.05, momentum=0.9, weight_decay=0.05), 2),
            (dict(lr=0.02, momentum=0.8, weight_decay=0.01, nesterov=True), 2)]
SHAPES = [(3, 4), (4,)]
STEPS = 5

MISTAKES = {
    "average": "the buffer as an average, b = momentum * b + (1 - momentum) * g (PyTorch's b adds g itself)",
    "average after g": "b = momentum * b + (1 - momentum) * g after a first b = g (PyTorch's b adds g itself)",
    "forgotten": "plain SGD: the momentum buffer is not used, or not kept between steps",
    "nesterov as momentum": "the ordinary momentum step d = b (Nesterov's is d = g + momentum * b)",
    "nesterov without g": "d = momentum * b (Nesterov's is d = g + momentum * b)",
    "decay after momentum": "the weight decay added after the momentum (it goes into g, before the buffer)",
    "no decay": "the weight decay left out (g + weight_decay * p)",
    "decay sign": "the weight decay with the wrong sign (it is g + weight_decay * p)",
}


def _settings_text(settings: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def _numpy_run(params, grads, lr, momentum=0.0, weight_decay=0.0, nesterov=False, mistake=None):
    """The rule on arrays, with one known mistake or none: the parameters after each step.

    ``grads[t][i]`` is params[i]'s gradient at step t (None: no gradient, no step)."""
    params = [p.copy() for p in params]
    buffers = [None] * len(params)
    history = []
    for step_grads in grads:
        for i, grad in enumerate(step_grads):
            if grad is None:
                continue
            p = params[i]
            d = grad
            if weight_decay and mistake not in ("no decay", "decay after momentum"):
                d = d - weight_decay * p if mistake == "decay sign" else d + weight_decay * p
            if momentum and mistake != "forgotten":
                averaged = mistake in ("average", "average after g")
                if buffers[i] is None:
                    buffers[i] = (1 - momentum) * d if mistake == "average" else d.copy()
                else:
                    buffers[i] = momentum * buffers[i] + ((1 - momentum) * d if averaged else d)
                if nesterov and mistake == "nesterov without g":
                    d = momentum * buffers[i]
                elif nesterov and mistake != "nesterov as momentum":
                    d = d + momentum * buffers[i]
                else:
                    d = buffers[i]
            if weight_decay and mistake == "decay after momentum":
                d = d + weight_decay * p
            params[i] = p - lr * d
        history.append([p.copy() for p in params])
    return history


def _library_run(params, grads, settings):
    """tinynn.optim.SGD on the same gradients: the parameters after each step."""
    tensors = [tinynn.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = tinynn.optim.SGD(tensors, **settings)
    history = []
    for step_grads in grads:
        for t, grad in zip(tensors, step_grads):
            t.grad = None if grad is None else tinynn.tensor(grad)
        optimizer.step()
        history.append([t.detach().numpy().copy() for t in tensors])
    return history


def _student_step(g: Grader, optimizer) -> None:
    try:
        g.call(optimizer.step, what="SGD.step")
    except StudentError as exc:
        if "NoneType" in str(exc):
            raise StudentError(f"{exc}. Hint: a parameter whose .grad is None has no gradient: skip it "
                               "(if p.grad is None: continue)") from None
        raise


def _run_and_compare(g: Grader, student, params, grads, settings, what: str, check_dtype: bool = True, **options):
    """Run the student's SGD on ``grads``, then compare every parameter after every step with the library.

    The hints name a known mistake whose whole run the student's run equals (several mistakes agree
    at the first step: without a history, b = g, so Nesterov done as plain momentum looks like plain SGD)."""
    library = _library_run(params, grads, settings)
    wrong = {text: _numpy_run(params, grads, **settings, mistake=key) for key, text in MISTAKES.items()}
    tensors = [tinynn.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = g.call(student.SGD, tensors, **settings, what="SGD.__init__")
    history, before = [], [p.copy() for p in params]
    for step, step_grads in enumerate(grads):
        for t, grad in zip(tensors, step_grads):
            t.grad = None if grad is None else tinynn.tensor(grad)
        _student_step(g, optimizer)
        for i, t in enumerate(tensors):
            got = t.detach().numpy()
            where = f"{what}, step {step + 1}, params[{i}] {params[i].shape}"
            if step_grads[i] is None and not np.array_equal(got, before[i]):
                raise Mismatch(f"{where}: this parameter has no gradient (.grad is None) but step() changed it. "
                               "Hint: skip it (if p.grad is None: continue)")
            if step_grads[i] is not None and np.array_equal(got, before[i]):
                raise Mismatch(f"{where}: the tensor given to SGD still holds its old values after step(). Hint: "
                               "change each parameter in place (p -= lr * d, under tinynn.no_grad()); a new "
                               "tensor (self.params[i] = p - lr * d) is not the one the model holds")
        before = [t.detach().numpy().copy() for t in tensors]
        history.append(before)
    whole_run = {text: run for text, run in wrong.items()
                 if all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for mine, theirs in zip(history, run)
                        for a, b in zip(mine, theirs))}
    before = params
    for step, after in enumerate(history):
        for i, got in enumerate(after):
            where = f"{what}, step {step + 1}, params[{i}] {params[i].shape}"
            mistakes = {text: run[step][i] - before[i] for text, run in (whole_run or wrong).items()}
            g.expect(f"{where}: the update (p after step - p before)", got - before[i], library[step][i] - before[i],
                     expected_label="tinynn.optim.SGD's", check_dtype=False, mistakes=mistakes, **options)
            g.expect(f"{where}: p after the step", got, library[step][i], check_dtype=check_dtype,
                     expected_label="tinynn.optim.SGD's", **options)
        before = after


def grade(g: Grader, student, reference) -> None:
    with g.check("zero_grad sets every parameter's .grad to None", "SGD.zero_grad"):
        params = [tinynn.tensor(g.randn(*shape), requires_grad=True) for shape in [(2, 3), (3,), (1,)]]
        params[0].grad, params[1].grad = tinynn.tensor(g.randn(2, 3)), tinynn.tensor(g.randn(3))
        optimizer = g.call(student.SGD, params, lr=0.1, what="SGD.__init__")
        g.call(optimizer.zero_grad, what="SGD.zero_grad")
        for i, p in enumerate(params):
            if p.grad is not None and np.any(p.grad.numpy() != 0):
                raise Mismatch(f"SGD.zero_grad: params[{i}].grad still holds the old gradient "
                               f"(first value {p.grad.numpy().reshape(-1)[0]:.6g}). Hint: set p.grad = None for "
                               "every p in self.params; otherwise the next backward adds to it")

    for settings, points in SETTINGS:
        params = [g.randn(*shape) for shape in SHAPES]
        grads = [[g.randn(*shape) for shape in SHAPES] for _ in range(STEPS)]
        text = _settings_text(settings)
        with g.check(f"{STEPS} steps with {text}, against tinynn.optim.SGD", "SGD.step", points):
            _run_and_compare(g, student, params, grads, settings, text)

    settings = dict(lr=0.1, momentum=0.9, weight_decay=0.01)
    params = [g.randn(3), g.randn(2, 2), g.randn(4)]
    grads = [[g.randn(3), None, g.randn(4)], [g.randn(3), g.randn(2, 2), None], [g.randn(3), g.randn(2, 2), g.randn(4)]]
    with g.check("parameters without a gradient (.grad None) are skipped; their buffer starts at their first "
                   "gradient", "SGD.step", 2):
        _run_and_compare(g, student, params, grads, settings, "with missing gradients")

    with g.check("step() updates the model's own tensors in place, outside the autograd graph", "SGD.step", 2):
        layer = tinynn.nn.Linear(3, 2)
        originals = [p.detach().numpy().copy() for p in layer.parameters()]
        grads = [g.randn(*p.shape).astype(np.float32) for p in layer.parameters()]
        for p, grad in zip(layer.parameters(), grads):
            p.grad = tinynn.tensor(grad)
        optimizer = g.call(student.SGD, layer.parameters(), lr=0.5, momentum=0.9, what="SGD.__init__")
        _student_step(g, optimizer)
        for name, p, original, grad in zip(("weight", "bias"), layer.parameters(), originals, grads):
            if np.array_equal(p.detach().numpy(), original):
                raise Mismatch(f"SGD.step: the layer's {name} still holds its old values. Hint: change each "
                               "parameter in place (p -= lr * d, under tinynn.no_grad()); a new tensor "
                               "(self.params[i] = p - lr * d) is not the one the model holds")
            if p.grad_fn is not None or not p.is_leaf:
                raise Mismatch(f"SGD.step: the layer's {name} is now the output of an operation (grad_fn "
                               f"{p.grad_fn}). Hint: do the update under `with tinynn.no_grad():`")
            if not p.requires_grad:
                raise Mismatch(f"SGD.step: the layer's {name} no longer requires grad. Hint: update it in "
                               "place; don't replace it with a detached copy")
            g.expect(f"SGD.step: the layer's {name}", p, original - np.float32(0.5) * grad, expect_tensor=False,
                     rtol=1e-6, atol=1e-7)

    settings = dict(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True)
    params = [g.randn(2, 3).astype(np.float32), g.randn(3).astype(np.float32)]
    grads = [[g.randn(2, 3).astype(np.float32), g.randn(3).astype(np.float32)] for _ in range(3)]
    with g.check("float32 parameters stay float32 (Nesterov with weight decay)", "SGD.step"):
        _run_and_compare(g, student, params, grads, settings, "float32", rtol=1e-5, atol=1e-6)

    x, y = g.randn(16, 3), g.randn(16, 2)
    w0, b0 = g.randn(2, 3), g.randn(2)
    with g.check("trains a linear model with loss.backward() and zero_grad(), as tinynn.optim.SGD does", "SGD.step", 2):
        runs = {}
        for who, make in (("yours", student.SGD), ("library", tinynn.optim.SGD)):
            w, b = tinynn.tensor(w0.copy(), requires_grad=True), tinynn.tensor(b0.copy(), requires_grad=True)
            if who == "yours":
                optimizer = g.call(make, [w, b], lr=0.05, momentum=0.9, what="SGD.__init__")
            else:
                optimizer = make([w, b], lr=0.05, momentum=0.9)
            losses = []
            for _ in range(8):
                if who == "yours":
                    g.call(optimizer.zero_grad, what="SGD.zero_grad")
                else:
                    optimizer.zero_grad()
                loss = ((tinynn.tensor(x) @ w.T + b - tinynn.tensor(y)) ** 2).mean()
                loss.backward()
                if who == "yours":
                    _student_step(g, optimizer)
                else:
                    optimizer.step()
                losses.append(float(loss.item()))
            runs[who] = (np.array(losses), w.detach().numpy(), b.detach().numpy())
        g.expect("the loss at each of 8 steps", runs["yours"][0], runs["library"][0],
                 expected_label="with tinynn.optim.SGD", got_label="with yours")
        g.expect("the weight after 8 steps", runs["yours"][1], runs["library"][1], expected_label="tinynn.optim.SGD's")
        g.expect("the bias after 8 steps", runs["yours"][2], runs["library"][2], expected_label="tinynn.optim.SGD's")
