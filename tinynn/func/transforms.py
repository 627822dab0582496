"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``.

These are PyTorch's function transforms (torch.func): each takes a function and returns a new
function that computes a derivative of it. tinynn builds all of them on its reverse-mode engine
(``autograd.grad``), with the same calling conventions and results:

    grad(f)(x)            df/dx for a scalar f (one backward pass)
    vjp(f, x)             (f(x), v -> v^T J)       one backward pass per call of the vjp function
    jacrev(f)(x)          J, one backward pass per output element, stacked
    jvp(f, (x,), (t,))    (f(x), J t)              by the double-backward trick below
    hessian(f)(x)         the Jacobian of the gradient

How a transform sees its inputs: each differentiated input is replaced by a private copy (a new
leaf, or, when the input is itself part of a graph, an alias that keeps the connection), the
function is run on the copies, and ``autograd.grad(..., create_graph=True)`` differentiates it.
Because the derivatives are built with graph, transforms nest (``grad(grad(f))``,
``jacrev(jacrev(f))``) and compose with ordinary autograd: the gradient of a function of a model's
parameters is itself differentiable with respect to them (MAML's second-order term). A result
that depends on nothing outside the transform is returned detached, as PyTorch returns it.

Where tinynn differs: there is no forward-mode AD, so ``jvp`` uses the double-backward trick
(J t = d/du [ (u^T J) t ] for a dummy cotangent u: two reverse passes) and ``jacfwd`` is the same
computation as ``jacrev`` (same numbers; PyTorch's differs only in speed). ``chunk_size`` is
accepted and ignored (rows are computed one at a time anyway).
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..autograd.engine import grad as autograd_grad
from ..autograd.engine import leaf_edges
from ..autograd.functional import jacobians_by_rows
from ..tensor import Tensor
from ._tree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


# ---------------------------------------------------------------------------- shared mechanics
def _check_argnums(argnums, nargs: int) -> tuple:
    """argnums as a tuple of non-negative positions (PyTorch's errors for bad ones)."""
    items = argnums if isinstance(argnums, tuple) else (argnums,)
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in items):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not items:
        raise RuntimeError("argnums must be non-empty")
    for a in items:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
    positions = tuple(a % nargs for a in items)
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"argnums must be unique, got {argnums}")
    return positions


def _private_input(x) -> Tensor:
    """A copy of the input for the transform to differentiate: a fresh leaf, or an alias of ``x``
    that stays connected to an enclosing graph (nested transforms, a model's parameters)."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {x.dtype}")
    if x.requires_grad and grad_mode.is_grad_enabled():
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _prepare(tree):
    """(the tree with every leaf replaced by a private input, its flat private leaves, the spec)."""
    leaves, spec = tree_flatten(tree)
    private = [_private_input(x) for x in leaves]
    return tree_unflatten(private, spec), private, spec


def _prepare_args(args: tuple, argnums):
    """(args with those at ``argnums`` replaced by private inputs, their flat private leaves, one
    spec per replaced argument)."""
    args = list(args)
    private, specs = [], []
    for position in _check_argnums(argnums, len(args)):
        args[position], leaves, spec = _prepare(args[position])
        private += leaves
        specs.append(spec)
    return args, private, specs


def _per_argument(flat: list, specs: list, argnums):
    """Results, one per private leaf, regrouped as the arguments at ``argnums``: one tree for an int
    argnums, else a tuple of trees."""
    per_arg, start = [], 0
    for spec in specs:
        per_arg.append(tree_unflatten(flat[start:start + spec.num_leaves], spec))
        start += spec.num_leaves
    return per_arg[0] if isinstance(argnums, int) else tuple(per_arg)


def _release(t, private: list):
    """``t`` detached when its graph reaches only the transform's own fresh leaves (nothing outside)."""
    if not isinstance(t, Tensor) or not t.requires_grad:
        return t
    own = {id(p) for p in private if p.grad_fn is None}
    if all(id(leaf) in own for leaf in leaf_edges([t])):
        return t.detach()
    return t


def _gradients(outputs: list, inputs: list, cotangents: list) -> list:
    """sum_k cotangent_k^T d output_k / d input, for each input (zeros where unused), with graph."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs:
        return [x.detach() * 0 for x in inputs]
    return list(autograd_grad([o for o, _ in pairs], inputs, grad_outputs=[c for _, c in pairs],
                              retain_graph=True, create_graph=True, allow_unused=True, materialize_grads=True))


def _split_aux(output, who: str):
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{who}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


# ---------------------------------------------------------------------------- grad
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (grad, value): the gradient of the scalar ``func`` with respect to the
    arguments at ``argnums`` (each a tensor or a container of tensors), and func's value.
    With has_aux, func returns (value, aux) and the result is (grad, (value, aux))."""

    def wrapper(*args, **kwargs):
        args, private, specs = _prepare_args(args, argnums)
        with grad_mode.enable_grad():
            output = func(*args, **kwargs)
            aux = None
            if has_aux:
                output, aux = _split_aux(output, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                                   f"got {type(output)}")
            if output.ndim != 0:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                                   f"with {output.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            grads = _gradients([output], private, [output.detach() * 0 + 1])
        result = _per_argument([_release(g, private) for g in grads], specs, argnums)
        value = _release(output, private)
        if has_aux:
            return result, (value, _release_tree(aux, private))
        return result, value

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning d func / d args[argnums] (func must return a 0-d tensor).

    Example: ``grad(lambda x: (x ** 3).sum())(x)`` is ``3 * x ** 2``; with a dict of parameters,
    ``grad(loss)(params, batch)`` is a dict of gradients with the same keys.
    """
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def _release_tree(tree, private):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([_release(leaf, private) for leaf in leaves], spec)


# ---------------------------------------------------------------------------- vjp, jvp
def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): ``vjp_fn(cotangents)`` returns, for each primal, sum of
    cotangent * d output / d primal (a tuple with one entry per primal, each shaped like it)."""
    prepared = [_prepare(p) for p in primals]
    private = [leaf for _, leaves, _ in prepared for leaf in leaves]
    with grad_mode.enable_grad():
        output = func(*[tree for tree, _, _ in prepared])
    aux = None
    if has_aux:
        output, aux = _split_aux(output, "vjp(f, *primals)")
    out_leaves, out_spec = tree_flatten(output)
    for leaf in out_leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"vjp(f, *primals): Expected f to be a function that has only Tensors as outputs, "
                               f"got {type(leaf)}")

    def vjp_fn(cotangents):
        cot_leaves, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {cot_spec}, primal output: {out_spec}")
        for o, c in zip(out_leaves, cot_leaves):
            if tuple(o.shape) != tuple(c.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {tuple(c.shape)} and "
                                   f"output[0] has a shape of {tuple(o.shape)}.")
        with grad_mode.enable_grad():
            grads = [_release(g, private) for g in _gradients(out_leaves, private, cot_leaves)]
        result, start = [], 0
        for _, leaves, spec in prepared:
            result.append(tree_unflatten(grads[start:start + len(leaves)], spec))
            start += len(leaves)
        return tuple(result)

    output = tree_unflatten([_release(o, private) for o in out_leaves], out_spec)
    if has_aux:
        return output, vjp_fn, _release_tree(aux, private)
    return output, vjp_fn


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J @ tangents): the directional derivative along ``tangents``.

    tinynn has no forward mode: with a dummy cotangent u, g(u) = u^T J is linear in u, and
    d/du [g(u) . t] = J t, so two reverse passes give the forward-mode result.
    """
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. "
                           "E.g. it should be valid to call f(*primals).")
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError("jvp(f, primals, tangents): Expected tangents to be a tuple with one entry per primal, "
                           f"got {type(tangents).__name__}")
    flat_tangents, tangent_spec = tree_flatten(tangents)
    prepared = [_prepare(p) for p in primals]
    private = [leaf for _, leaves, _ in prepared for leaf in leaves]
    if len(flat_tangents) != len(private):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python structure")
    for x, t in zip(private, flat_tangents):
        if not isinstance(t, Tensor) or tuple(t.shape) != tuple(x.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have the same shape, "
                               f"got {tuple(x.shape)} and {getattr(t, 'shape', type(t).__name__)}")
    with grad_mode.enable_grad():
        output = func(*[tree for tree, _, _ in prepared])
        aux = None
        if has_aux:
            output, aux = _split_aux(output, "jvp(f, primals, tangents)")
        out_leaves, out_spec = tree_flatten(output)
        dummies = [(o.detach() * 0).requires_grad_(True) for o in out_leaves]
        vjps = _gradients(out_leaves, private, dummies)
        directional = sum((g * t).sum() for g, t in zip(vjps, flat_tangents))
        if isinstance(directional, Tensor) and directional.requires_grad:
            jvps = autograd_grad(directional, dummies, create_graph=True, allow_unused=True, materialize_grads=True)
        else:
            jvps = [o.detach() * 0 for o in out_leaves]
    keep = private + dummies
    result = (tree_unflatten([_release(o, keep) for o in out_leaves], out_spec),
              tree_unflatten([_release(j, keep) for j in jvps], out_spec))
    return result + (_release_tree(aux, keep),) if has_aux else result


def linearize(func, *primals):
    """(func(*primals), jvp_fn) with ``jvp_fn(*tangents)`` = J @ tangents at ``primals``."""
    output = func(*primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


# ---------------------------------------------------------------------------- Jacobians
def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size: int | None = None):
    """A function returning the Jacobian of ``func`` with respect to args[argnums]: for an output of
    shape S and an input of shape T, a tensor of shape S + T (nested as the outputs and argnums)."""

    def wrapper(*args):
        args, private, specs = _prepare_args(args, argnums)
        with grad_mode.enable_grad():
            output = func(*args)
            aux = None
            if has_aux:
                output, aux = _split_aux(output, "jacrev(f)(*args)")
            out_leaves, out_spec = tree_flatten(output)
            per_output = [_jacobian_of(o, private) for o in out_leaves]
        structured = [_per_argument([_release(j, private) for j in jacobians], specs, argnums)
                      for jacobians in per_output]
        result = tree_unflatten(structured, out_spec)
        return (result, _release_tree(aux, private)) if has_aux else result

    return wrapper


def _jacobian_of(output, inputs: list) -> list:
    """d output / d input for each input: one backward pass per output element (a row of J)."""
    if not isinstance(output, Tensor):
        raise RuntimeError(f"jacrev: Expected f to return Tensors, got {type(output)}")
    return jacobians_by_rows(output, inputs, lambda element: _gradients([element], inputs, [element.detach() * 0 + 1]))


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian, as ``jacrev`` computes it (tinynn has no forward mode; the numbers are the same)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The matrix of second derivatives of a scalar ``func``: the Jacobian of its gradient."""
    return jacfwd(jacrev(func, argnums), argnums)
