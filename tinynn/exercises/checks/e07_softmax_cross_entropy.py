"""Checks for exercise 07, softmax + cross-entropy: log_softmax, the loss, and dL/dlogits."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, numeric_gradient, on_arrays

LARGE = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0], [5.0, 5.0, 5.0]])


def _cases(g: Grader) -> list:
    """(logits, targets): a few shapes, one example, two classes, and logits of +-1000."""
    cases = []
    for n, c in [(4, 3), (1, 2), (6, 5)]:
        cases.append((2 * g.randn(n, c), g.rng.integers(0, c, size=n)))
    cases.append((LARGE.copy(), np.array([0, 2, 1])))
    return cases


def grade(g: Grader, student, reference) -> None:
    for z, _ in _cases(g) + [(g.randn(3, 4, dtype=np.float32), None)]:
        with g.check(f"z of shape {z.shape} {z.dtype}" + (" with logits of +-1000" if abs(z).max() > 100 else ""),
                     "log_softmax"):
            with np.errstate(over="raise"):
                got = g.call(student.log_softmax, z.copy())
            g.expect("log_softmax(z)", got, reference.log_softmax(z), rtol=1e-6 if z.dtype == np.float64 else 1e-5)

    reference_forward = on_arrays(reference.SoftmaxCrossEntropy.apply)
    for z, t in _cases(g):
        case = f"logits {z.shape}, targets {t.tolist()}"
        with g.check(case, "SoftmaxCrossEntropy.forward"):
            got = g.call(student.SoftmaxCrossEntropy.apply, tinynn.tensor(z, requires_grad=True), tinynn.tensor(t),
                         what="SoftmaxCrossEntropy.forward")
            g.expect("loss", got, reference.SoftmaxCrossEntropy.apply(tinynn.tensor(z), tinynn.tensor(t)))

        upstream = np.array(0.75)   # not 1, so that a backward ignoring grad is caught
        with g.check(case + ": dL/dlogits against finite differences", "SoftmaxCrossEntropy.backward",
                     points=2):
            _, grads = g.function_backward(student.SoftmaxCrossEntropy, [z, t], upstream)
            p, one_hot = np.exp(reference.log_softmax(z)), np.eye(z.shape[1])[t]
            n = z.shape[0]
            mistakes = {"grad * softmax / N: the one-hot targets are not subtracted": upstream * p / n,
                        "grad * (softmax - onehot), not divided by N": upstream * (p - one_hot),
                        "(softmax - onehot) / N without the upstream grad": (p - one_hot) / n,
                        "grad * (onehot - softmax) / N: the sign is flipped": upstream * (one_hot - p) / n}
            g.expect_gradient("logits", g.require_gradient("logits", grads[0]),
                              numeric_gradient(reference_forward, [z, t], 0, upstream), mistakes=mistakes)

    z, t = 3 * g.randn(5, 4), g.rng.integers(0, 4, size=5)
    with g.check("agrees with the library's tinynn.nn.functional.cross_entropy", "SoftmaxCrossEntropy.backward"):
        mine, library = tinynn.tensor(z, requires_grad=True), tinynn.tensor(z, requires_grad=True)
        loss = g.call(student.SoftmaxCrossEntropy.apply, mine, tinynn.tensor(t), what="SoftmaxCrossEntropy.forward")
        loss_library = F.cross_entropy(library, tinynn.tensor(t))
        g.expect("loss", loss, loss_library, expected_label="F.cross_entropy")
        g.call(loss.backward, what="SoftmaxCrossEntropy.backward")
        loss_library.backward()
        g.expect("gradient of logits", mine.grad, library.grad, expected_label="F.cross_entropy's", got_label="yours")
