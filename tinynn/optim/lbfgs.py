"""L-BFGS: a quasi-Newton method that builds its curvature estimate from the last few steps."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from ..tensor import Tensor
from .line_search import LinePoint, strong_wolfe
from .optimizer import Optimizer, _cast_state, as_float, check_non_negative

__all__ = ["LBFGS"]

_ONE_GROUP = "LBFGS doesn't support per-parameter options (parameter groups): give it one list of tensors"


class LBFGS(Optimizer):
    r"""Limited-memory BFGS (Nocedal, 1980; Liu & Nocedal, 1989), PyTorch's algorithm step for step.

    Newton's method steps by -H g, H the inverse of the Hessian. BFGS estimates H from how the
    gradient changed along past steps: after a step s = x_new - x with gradient change
    y = g_new - g, it makes H satisfy H y = s (the secant equation) with the least change::

        H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T,      rho = 1 / (y . s)

    L-BFGS never forms the n x n matrix H: it keeps the last ``history_size`` pairs (s_i, y_i)
    and applies the updates to the gradient directly, starting from H0 = gamma I with
    gamma = (y . s) / (y . y) (the two-loop recursion, newest pair first, then oldest first)::

        q <- -g
        for i = newest ... oldest:  a_i <- rho_i s_i . q;   q <- q - a_i y_i
        r <- gamma q
        for i = oldest ... newest:  b_i <- rho_i y_i . r;   r <- r + (a_i - b_i) s_i
        d <- r                                              = -H g

    Each ``step(closure)`` runs up to ``max_iter`` iterations of: the gradient g (the closure);
    a new pair (s, y) = (t_prev d_prev, g - g_prev), remembered only if y . s > 1e-10 (so H stays
    positive definite); the direction d above (-g at the very first iteration); the step
    x <- x + t d with t = lr (the first iteration ever: t = min(1, 1 / |g|_1) lr), or t found by
    the strong-Wolfe line search (``line_search.strong_wolfe``, started from that t). It stops
    early when g . d > -tolerance_change (d is no descent direction), when max|g| <=
    tolerance_grad, when max|t d| <= tolerance_change or |f - f_prev| < tolerance_change, or after
    ``max_eval`` closure calls. Without line search the closure is not called after the last
    iteration's step, and the line search uses PyTorch's fixed tolerance_change of 1e-9.

    All state lives under the first parameter (as in PyTorch): ``func_evals`` and ``n_iter``
    (counts over all steps), ``d``, ``t``, ``old_dirs`` (the y_i), ``old_stps`` (the s_i), ``ro``
    (the rho_i), ``H_diag`` (gamma), ``al`` (the a_i), ``prev_flat_grad``, ``prev_loss``.

    Differs from PyTorch on purpose: the scalars (t, rho_i, a_i, gamma, the line search's values
    and slopes) are Python floats, where PyTorch keeps 0-d tensors of the parameters' dtype. For
    float64 parameters the numbers are the same; for float32 ones tinynn computes these scalars
    in float64, so iterates may differ from PyTorch's in the last bits.

    Args:
        params: the tensors to optimize (one group; L-BFGS treats them as one flat vector).
        lr: the step length, or the line search's first trial step (default 1).
        max_iter: iterations per ``step()`` (default 20).
        max_eval: closure calls per ``step()`` (default max_iter * 5 // 4).
        tolerance_grad: stop when max|g| is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss changes less than this (default 1e-9).
        history_size: how many pairs (s, y) to remember (default 100).
        line_search_fn: None (fixed step lr) or "strong_wolfe".
    """

    def __init__(self, params: Iterable, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None):
        check_non_negative(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(_ONE_GROUP)
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ the flat vector x
    def _gather_flat_grad(self):
        """All gradients as one flat array (zeros for a parameter without one)."""
        xp = array_module_of(self._params[0]._data)
        return xp.concatenate([p.grad._data.reshape(-1) if p.grad is not None
                               else xp.zeros(p._data.size, dtype=p._data.dtype) for p in self._params])

    def _add_to_params(self, t: float, direction) -> None:
        """x <- x + t d, d cut back into the parameters' shapes."""
        offset = 0
        for p in self._params:
            size = p._data.size
            p._data += t * direction[offset:offset + size].reshape(p._data.shape)
            p._bump_version()
            offset += size

    def _set_params(self, values: list) -> None:
        for p, value in zip(self._params, values):
            p._data[...] = value
            p._bump_version()

    def _evaluate_at(self, closure: Callable, x: list, t: float, direction) -> LinePoint:
        """The loss and gradient at x + t d (one closure call); the parameters go back to x."""
        self._add_to_params(t, direction)
        loss = float(self._begin_step(closure))
        grad = self._gather_flat_grad()
        self._set_params(x)
        return LinePoint(t, loss, grad, float(array_module_of(grad).dot(grad, direction)))

    # ------------------------------------------------------------------ one step
    def step(self, closure: Callable | None = None):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss the closure gave at the start."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that clears the gradients, recomputes the loss, calls "
                            "backward() and returns the loss: L-BFGS evaluates the loss several times per step")
        if len(self.param_groups) != 1:
            raise ValueError(_ONE_GROUP)
        group = self.param_groups[0]
        lr, max_iter, max_eval = as_float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._begin_step(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        xp = array_module_of(flat_grad)
        opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
        if opt_cond:
            return orig_loss

        d, t = _array(state.get("d")), _scalar(state.get("t"))
        old_dirs = [_array(y) for y in state.get("old_dirs") or []]
        old_stps = [_array(s) for s in state.get("old_stps") or []]
        ro = [_scalar(r) for r in state.get("ro") or []]
        H_diag = _scalar(state.get("H_diag"))
        prev_flat_grad, prev_loss = _array(state.get("prev_flat_grad")), _scalar(state.get("prev_loss"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction d = -H g
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(xp.dot(y, s))
                if ys > 1e-10:  # only pairs with positive curvature keep H positive definite
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(xp.dot(y, y))
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = _two_loop_direction(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])
            prev_flat_grad, prev_loss = flat_grad.copy(), loss

            # the step length t
            t = lr if state["n_iter"] != 1 else min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr
            gtd = float(xp.dot(flat_grad, d))
            if gtd > -tolerance_change:  # d does not descend (enough)
                break
            evaluations = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("LBFGS: only line_search_fn='strong_wolfe' is supported, "
                                       f"got {line_search_fn!r}")
                x_init = [p._data.copy() for p in self._params]
                found, evaluations = strong_wolfe(
                    lambda trial, d=d: self._evaluate_at(closure, x_init, trial, d), d,
                    LinePoint(0.0, loss, flat_grad, gtd), t, max_ls=max_eval - current_evals)
                loss, flat_grad, t = found.loss, found.grad, found.t
                self._add_to_params(t, d)
                opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_to_params(t, d)
                if n_iter != max_iter:  # the last iteration's loss would go unused: skip the call
                    loss = float(self._begin_step(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    evaluations = 1
            current_evals += evaluations
            state["func_evals"] += evaluations

            # when to stop
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.abs(d * t).max()) <= tolerance_change:  # the step no longer moves x
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss no longer changes
                break

        state["d"], state["t"] = Tensor._make(d), t
        state["old_dirs"] = [Tensor._make(y) for y in old_dirs]
        state["old_stps"] = [Tensor._make(s) for s in old_stps]
        state["ro"], state["H_diag"] = ro, H_diag
        state["prev_flat_grad"], state["prev_loss"] = Tensor._make(prev_flat_grad), prev_loss
        return orig_loss

    def load_state_dict(self, state_dict: dict) -> None:
        """As ``Optimizer.load_state_dict``; the remembered pairs are copied too, not aliased."""
        super().load_state_dict(state_dict)
        if len(self.param_groups) != 1:
            raise ValueError(_ONE_GROUP)
        self._params = self.param_groups[0]["params"]
        for p, state in self.state.items():
            if isinstance(p, Tensor):
                for name in ("old_dirs", "old_stps", "ro", "al"):
                    if isinstance(state.get(name), (list, tuple)):
                        state[name] = [_cast_state(p, name, value) for value in state[name]]


def _two_loop_direction(grad, old_dirs: list, old_stps: list, ro: list, H_diag: float, al: list):
    """d = -H g by the two-loop recursion (see the class docstring); fills ``al`` with the a_i."""
    xp = array_module_of(grad)
    q = -grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(xp.dot(old_stps[i], q)) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * H_diag
    for i in range(len(old_dirs)):
        be_i = float(xp.dot(old_dirs[i], r)) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def _array(value):
    """The raw array of a state entry (a Tensor after a step or a load), or None."""
    return value._data if isinstance(value, Tensor) else value


def _scalar(value):
    """A state scalar as a Python float (PyTorch's state dicts hold 0-d tensors), or None."""
    if value is None:
        return None
    return float(value.item() if isinstance(value, Tensor) else value)
