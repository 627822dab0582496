# Exercise 08, generated from tinynn/exercises/source/e08_adam.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e08_adam.py my_e08_adam.py
#     python -m tinynn.exercises check 08 my_e08_adam.py
"""Exercise 08: one step of the Adam optimizer, in NumPy.

Adam (Kingma & Ba, 2015) keeps, for every parameter, two running averages of its gradient g: the
mean m (the "first moment") and the mean of the squares v (the "second moment"). At step t = 1, 2,
... with learning rate lr, decay rates (beta1, beta2), eps and weight decay lambda:

    g   = g + lambda * p                            (only when weight_decay != 0: L2 regularisation)
    m_t = beta1 * m + (1 - beta1) * g
    v_t = beta2 * v + (1 - beta2) * g^2
    m_hat = m_t / (1 - beta1^t)                     bias correction
    v_hat = v_t / (1 - beta2^t)
    p_t = p - lr * m_hat / (sqrt(v_hat) + eps)

Bias correction: m and v start at 0, so early averages are pulled towards 0. At t = 1,
m_1 = (1 - beta1) g, only a tenth of g for beta1 = 0.9; dividing by 1 - beta1^1 = 0.1 gives g
back. As t grows, beta^t -> 0 and the correction fades. Without it, the first steps are far too
small (or, through v in the denominator, too large).

The step divides each coordinate by its own recent gradient scale sqrt(v_hat): every parameter
moves by about lr per step whatever the size of its gradient. Note where eps goes: outside the
square root, added to sqrt(v_hat), as in PyTorch.

You write ``adam_step``: it takes arrays and returns NEW arrays (p_t, m_t, v_t), leaving its inputs
unchanged (the grader runs several steps in a row and feeds your m_t, v_t back in). Keep the
parameter's dtype. The grader compares with the library's optimizer ``tinynn.optim.Adam``
(tinynn/optim/adam.py) over several steps, with and without weight decay.
"""
from __future__ import annotations

import numpy as np


def adam_step(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, step: int,
              lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> tuple:
    """One Adam update at step number ``step`` (1 for the first).

    param, grad, exp_avg (m), exp_avg_sq (v): arrays of one shape -> (new param, new m, new v).
    """
    raise NotImplementedError("exercise 08: adam_step")
