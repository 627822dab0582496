"""Exercise 33: dynamic loss scaling for mixed precision: scale, unscale, check for inf/NaN, adapt the scale.

In float16 the smallest positive number is about 6e-8 (2^-24), and gradients of a trained network
are often smaller: they round to exactly 0 and the update is lost. The chain rule is linear, so
multiplying the loss by a scale S multiplies every gradient by S, lifting them into float16's
range; dividing the (float32) gradients by S before the optimizer step gives the true ones back:

    (S * loss).backward()            every p.grad = S * dL/dp
    p.grad <- p.grad / S             "unscale", then optimizer.step()

Too large an S overflows instead (float16's largest number is 65504): some gradient becomes inf
or NaN. The step must then be SKIPPED (one inf would ruin the weights) and S made smaller. Dynamic
loss scaling adapts S while training, as PyTorch's ``GradScaler`` does:

    after a step with an inf/NaN gradient:   S <- S * backoff_factor (0.5),  skip the step,
                                             and start counting clean steps from 0 again
    after a clean step:                      count it; after growth_interval clean steps in a
                                             row, S <- S * growth_factor (2.0) and count from 0

So S settles just below overflow, as large as is safe. Worked example, S = 8, growth_interval = 2,
steps clean, clean, inf, clean, clean, clean: S after each update = 8, 16, 8, 8, 16, 16.

A training step with the scaler (one optimizer):

    loss = loss_fn(model(x), y)
    scaler.scale_loss(loss).backward()
    scaler.unscale_(optimizer)       # optional: only to clip gradients, which needs the true ones
    scaler.step(optimizer)           # unscales unless unscale_ was called, steps unless inf/NaN
    scaler.update()                  # adapts the scale; the next step starts afresh

You write:
  1. ``has_inf_or_nan(tensors)``: whether any element of any tensor is inf, -inf or NaN
     (``tinynn.isfinite``; no .numpy(), so the code runs on any device).
  2. ``DynamicLossScaler.scale_loss(loss)``: loss * scale (a Tensor, differentiable, its dtype kept).
  3. ``DynamicLossScaler.unscale_(optimizer)``: divide every gradient of the optimizer's parameters
     (``optimizer.param_groups[k]["params"]``; skip those whose ``.grad`` is None) by the scale, in
     place, as the optimizer reads ``p.grad``; record in ``self.found_inf`` whether any was inf/NaN,
     set ``self.unscaled``, and return found_inf.
  4. ``DynamicLossScaler.step(optimizer)``: unscale_ unless already done since the last update
     (dividing twice by S would shrink the gradients to nothing), then ``optimizer.step()`` unless
     found_inf; return whether it stepped.
  5. ``DynamicLossScaler.update()``: back off or count or grow, as above, then reset found_inf
     (None) and unscaled (False) for the next step.

The grader compares with ``tinynn.amp.GradScaler`` (tinynn/amp/grad_scaler.py) step by step over a
training run with injected inf and NaN gradients: the scale, the skipped steps, the parameters.
"""
from __future__ import annotations

import tinynn

LESSON = 22
FORBIDDEN = ["tinynn.amp.GradScaler", "tinynn.amp.grad_scaler.GradScaler", "tinynn.cuda.amp.GradScaler"]


def has_inf_or_nan(tensors: list) -> bool:
    """True when an element of any of ``tensors`` is inf, -inf or NaN (False for an empty list)."""
    # >>> solution
    return any(not bool(tinynn.isfinite(t).all()) for t in tensors)
    # <<< solution


class DynamicLossScaler:
    """Dynamic loss scaling (given: the state; you write the methods below)."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000):
        self.scale = float(init_scale)
        self.growth_factor = growth_factor
        self.backoff_factor = backoff_factor
        self.growth_interval = growth_interval
        self.good_steps = 0        # clean steps in a row since the scale last changed
        self.found_inf = None      # set by unscale_: whether this step's gradients had an inf/NaN
        self.unscaled = False      # whether unscale_ ran since the last update

    def scale_loss(self, loss: tinynn.Tensor) -> tinynn.Tensor:
        """loss * scale."""
        # >>> solution
        return loss * self.scale
        # <<< solution

    def unscale_(self, optimizer) -> bool:
        """Divide the optimizer's gradients by the scale in place; record and return found_inf."""
        # >>> solution
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        self.found_inf = has_inf_or_nan(grads)
        for grad in grads:
            grad.mul_(1.0 / self.scale)
        self.unscaled = True
        return self.found_inf
        # <<< solution

    def step(self, optimizer) -> bool:
        """Unscale (once), then optimizer.step() unless a gradient is inf/NaN. Returns whether it stepped."""
        # >>> solution
        if not self.unscaled:
            self.unscale_(optimizer)
        if self.found_inf:
            return False
        optimizer.step()
        return True
        # <<< solution

    def update(self) -> None:
        """Back off after an inf/NaN, grow after growth_interval clean steps; reset for the next step."""
        # >>> solution
        if self.found_inf:
            self.scale *= self.backoff_factor
            self.good_steps = 0
        else:
            self.good_steps += 1
            if self.good_steps == self.growth_interval:
                self.scale *= self.growth_factor
                self.good_steps = 0
        self.found_inf = None
        self.unscaled = False
        # <<< solution
