"""Exercise 08: SGD with momentum, Nesterov momentum and weight decay, as PyTorch does it.

Plain stochastic gradient descent moves every parameter p a small step against its gradient g:

    p <- p - lr * g

On a long narrow valley this zigzags across the valley and crawls along it. Momentum keeps a
running "velocity" b for each parameter, so that steps that agree add up and steps that alternate
cancel. PyTorch's rule (``torch.optim.SGD`` with dampening 0), for each parameter at each step:

    g <- g + weight_decay * p            (only when weight_decay != 0: the gradient of
                                          weight_decay/2 * ||p||^2, an L2 penalty)
    b <- g                               at the parameter's FIRST step (there is no b yet)
    b <- momentum * b + g                at every later step
    d <- g + momentum * b                with nesterov=True ("look ahead" along b)
    d <- b                               otherwise          (when momentum != 0)
    d <- g                               when momentum == 0 (plain SGD: no buffer at all)
    p <- p - lr * d

A worked example with lr = 0.1, momentum = 0.9 and the same gradient g = 1 at every step:

    step 1: b = 1                  p moves by -0.1
    step 2: b = 0.9 * 1 + 1 = 1.9  p moves by -0.19
    step 3: b = 0.9 * 1.9 + 1 = 2.71 ...  -> b approaches 1 / (1 - 0.9) = 10: a steady gradient
    ends up with steps 10 times larger than plain SGD's.

Note what b is: a decaying SUM of the gradients, b = g_t + mu g_{t-1} + mu^2 g_{t-2} + ..., not an
average (there is no (1 - momentum) factor on g; that is Adam's first moment, exercise 09).

Three things to watch for:
  * The update changes each parameter IN PLACE. The model holds these very Tensor objects, so
    ``p -= lr * d`` (or ``p.sub_(lr * d)``) is right, and building a new tensor
    (``self.params[i] = p - lr * d``) leaves the model's weights unchanged.
  * An update is not part of the model's computation: do it under ``with tinynn.no_grad():`` (an
    in-place change of a leaf that requires grad is an error otherwise).
  * A parameter whose ``.grad`` is None (it took no part in the loss) is skipped: no step, and its
    buffer is not created.

You write ``SGD.step`` (one update of every parameter that has a gradient) and ``SGD.zero_grad``
(set every parameter's ``.grad`` to None, as PyTorch does by default, so that the next backward
starts afresh instead of adding to the old gradients). ``__init__`` is given: it keeps the
parameters in a list and one momentum buffer per parameter (None until its first step).

The grader runs your optimizer next to the library's ``tinynn.optim.SGD`` (tinynn/optim/sgd.py)
on the same gradients, step by step, with and without momentum, Nesterov and weight decay, and
trains a small linear model with both.
"""
from __future__ import annotations

import tinynn

LESSON = 6
FORBIDDEN = ["tinynn.optim.SGD"]
PARTS = {"sgd": "SGD"}


class SGD:
    """SGD(params, lr, momentum=0.0, weight_decay=0.0, nesterov=False), with ``step()`` and ``zero_grad()``."""

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False):
        """Given. ``params``: an iterable of Tensors (e.g. ``model.parameters()``)."""
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and momentum <= 0:
            raise ValueError("SGD: Nesterov momentum needs momentum > 0")
        self.params = list(params)          # a generator such as model.parameters() can be read only once
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.momentum_buffers = [None] * len(self.params)   # b for params[i], None before its first step

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None."""
        # >>> solution
        for p in self.params:
            p.grad = None
        # <<< solution

    def step(self) -> None:
        """One update of every parameter that has a gradient (the rule in the module docstring)."""
        # >>> solution
        with tinynn.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                d = p.grad
                if self.weight_decay != 0:
                    d = d + self.weight_decay * p
                if self.momentum != 0:
                    buffer = self.momentum_buffers[i]
                    if buffer is None:
                        buffer = d.clone()
                    else:
                        buffer = self.momentum * buffer + d
                    self.momentum_buffers[i] = buffer
                    d = d + self.momentum * buffer if self.nesterov else buffer
                p -= self.lr * d             # in place: the model holds this very tensor
        # <<< solution
