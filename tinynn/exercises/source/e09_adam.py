"""Exercise 09: the Adam optimizer: one step on arrays, then an optimizer class built on it.

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

**The optimizer class.** A training loop never calls adam_step itself; it calls an optimizer:

    optimizer = Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        optimizer.zero_grad()            # forget the previous batch's gradients
        loss_fn(model(x), y).backward()  # fills p.grad of every parameter
        optimizer.step()                 # one Adam update of every parameter

PyTorch's semantics, which the grader checks step by step against ``tinynn.optim.Adam``:
  - ``params`` may be a generator (``model.parameters()``): iterate it once, keep a list.
  - State per parameter, ``self.state[p] = {"step": t, "exp_avg": m, "exp_avg_sq": v}``, created
    (step 0, zero moments like p) the first time p has a gradient. Tensors hash by identity, so a
    parameter can be a dict key.
  - ``step()`` skips every parameter whose ``p.grad`` is None: no update, and its step count t does
    not advance, so its bias correction starts at t = 1 whenever its first gradient comes.
  - The update is IN PLACE: the model holds these very Tensor objects, so ``p = new_tensor`` would
    only rebind a local name. Write the new values into p outside the autograd graph:
    ``with tinynn.no_grad(): p.copy_(tinynn.tensor(new_values))``.
  - ``zero_grad()`` sets every ``p.grad`` to None (PyTorch's default, ``set_to_none=True``).

You write ``adam_step``: it takes arrays and returns NEW arrays (p_t, m_t, v_t), leaving its inputs
unchanged (the grader runs several steps in a row and feeds your m_t, v_t back in). Keep the
parameter's dtype. Then ``Adam``: ``__init__``, ``step`` (with your adam_step on
``p.detach().numpy()`` and ``p.grad.numpy()``) and ``zero_grad``. The grader compares both with the
library's optimizer ``tinynn.optim.Adam`` (tinynn/optim/adam.py) over several steps, with and
without weight decay; using that class (or AdamW) in your code fails the check.
"""
from __future__ import annotations

import numpy as np

import tinynn

LESSON = 6
FORBIDDEN = ["tinynn.optim.Adam", "tinynn.optim.AdamW"]
PARTS = {"adam": "Adam"}


def adam_step(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, step: int,
              lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> tuple:
    """One Adam update at step number ``step`` (1 for the first).

    param, grad, exp_avg (m), exp_avg_sq (v): arrays of one shape -> (new param, new m, new v).
    """
    # >>> solution
    beta1, beta2 = betas
    if weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg = beta1 * exp_avg + (1 - beta1) * grad
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    m_hat = exp_avg / (1 - beta1 ** step)
    v_hat = exp_avg_sq / (1 - beta2 ** step)
    param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    return param, exp_avg, exp_avg_sq
    # <<< solution


class Adam:
    """Adam over a list of parameters (tinynn Tensors), as ``tinynn.optim.Adam`` without parameter groups."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        """params: an iterable of Tensors (a list, or a generator such as model.parameters())."""
        # >>> solution
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay
        self.state = {}
        # <<< solution

    def step(self) -> None:
        """One Adam update of every parameter that has a gradient, in place."""
        # >>> solution
        for p in self.params:
            if p.grad is None:
                continue
            if p not in self.state:
                zeros = np.zeros_like(p.detach().numpy())
                self.state[p] = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros.copy()}
            state = self.state[p]
            state["step"] += 1
            new_param, state["exp_avg"], state["exp_avg_sq"] = adam_step(
                p.detach().numpy(), p.grad.numpy(), state["exp_avg"], state["exp_avg_sq"], state["step"],
                lr=self.lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay)
            with tinynn.no_grad():
                p.copy_(tinynn.tensor(new_param))
        # <<< solution

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to None."""
        # >>> solution
        for p in self.params:
            p.grad = None
        # <<< solution
