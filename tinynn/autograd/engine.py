"""The backward pass: walk the graph from the outputs to the leaves, in topological order.

1. Count, for every node reachable from the outputs, how many edges lead into it.
2. Start from the outputs' nodes. A node runs its backward once all the nodes that feed it a
   gradient have run (its count reaches zero), so each gradient is complete when it is used.
3. The gradient an op returns for an input is summed back to that input's shape if the op
   broadcast it (``unbroadcast``), and cast to the input's dtype: ops never do this themselves.

The walk is a loop over a stack, not recursion: a chain of 100,000 ops is fine.
"""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from . import anomaly, grad_mode
from .unbroadcast import sum_to_shape


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or ``inputs``)."""
    tensors = _as_list(tensors)
    grads = _root_grads(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        _run(tensors, grads, retain_graph, create_graph)
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
    captured = _run(tensors, grads, retain_graph, create_graph, capture=inputs)
    for tensor, grad in zip(inputs, captured):
        if grad is not None:
            _accumulate(tensor, grad, owned=False, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    With ``create_graph=True`` the returned gradients are themselves in the graph, so they can
    be differentiated again (second derivatives, Hessian-vector products).
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported by tinynn")
    single_input = isinstance(inputs, Tensor)
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(tensor).__name__}, expected a Tensor")
        if not tensor._requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _root_grads(outputs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    captured = _run(outputs, grads, retain_graph, create_graph, capture=inputs)
    result = []
    for i, (tensor, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: inputs[{i}] appears not to have been used in the graph; "
                    "pass allow_unused=True if this is what you want"
                )
            if materialize_grads:
                g = Tensor._make(_zeros_like(tensor._data))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result) if not single_input or len(result) != 1 else (result[0],)


# ---------------------------------------------------------------------------- the walk
def _run(roots, root_grads, retain_graph, create_graph, capture=None):
    """Run backward from ``roots``; return the gradients reaching ``capture`` (if given)."""
    captured = None
    capture_leaf, capture_node = {}, {}
    if capture is not None:
        captured = [None] * len(capture)
        for i, tensor in enumerate(capture):
            if tensor.grad_fn is None:
                capture_leaf[id(tensor)] = i
            else:
                capture_node[(tensor.grad_fn, tensor._output_nr)] = i

    root_nodes = []
    buffers = {}
    for tensor, g in zip(roots, root_grads):
        node = tensor.grad_fn
        if node is None:  # backward() on a leaf: its gradient is the given one
            _deliver_to_leaf(tensor, g, False, create_graph, capture_leaf, captured)
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * max(1, len(node.output_meta))
            root_nodes.append(node)
        nr = tensor._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    deps = _count_dependencies(root_nodes)
    needed = _nodes_leading_to(root_nodes, deps, capture_leaf, capture_node) if capture is not None else None

    previous_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        ready = [node for node in root_nodes if deps.get(node, 0) == 0]
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            edges = node.next_edges
            grads = None
            if buf is not None and (needed is None or node in needed):
                grads = _run_node(node, buf, retain_graph, capture_node, captured)
            for i, edge in enumerate(edges):
                if edge is None:
                    continue
                target, nr = edge
                g = None if grads is None else grads[i]
                if nr is None:
                    if g is not None:
                        owned = g._data.base is None and _used_once(g, grads, buf)
                        _deliver_to_leaf(target, g, owned, create_graph, capture_leaf, captured)
                    continue
                if g is not None:
                    target_buf = buffers.get(target)
                    if target_buf is None:
                        target_buf = buffers[target] = [None] * max(1, len(target.output_meta))
                    target_buf[nr] = g if target_buf[nr] is None else target_buf[nr] + g
                remaining = deps[target] - 1
                deps[target] = remaining
                if remaining == 0:
                    ready.append(target)
    finally:
        grad_mode.state.enabled = previous_mode
    return captured


def _run_node(node, buf, retain_graph, capture_node, captured):
    """Run one node's backward on its output gradients; return one gradient per input."""
    hooks = node._pre_hooks
    if hooks:
        for nr, fns in hooks.items():
            if buf[nr] is not None:
                for fn in list(fns):
                    result = fn(buf[nr])
                    if result is not None:
                        buf[nr] = result
    if capture_node:
        for nr, g in enumerate(buf):
            index = capture_node.get((node, nr))
            if index is not None and g is not None:
                captured[index] = g if captured[index] is None else captured[index] + g
    if len(buf) > 1:  # materialize zeros for outputs that received no gradient
        xp = _xp(next(g for g in buf if g is not None)._data)
        buf = [
            g if g is not None else Tensor._make(xp.zeros(shape, dtype=dtype))
            for g, (shape, dtype) in zip(buf, node.output_meta)
        ]
    raw = node.array_backward and not grad_mode.state.enabled
    if raw:  # the same formula, evaluated on the raw arrays (see Node.array_backward)
        node._raw = True
        buf = [g._data for g in buf]
    try:
        grads = type(node).backward(node, *buf)
    except Exception as err:
        if anomaly.enabled and node.creation_trace and hasattr(err, "add_note"):
            err.add_note(f"The failing op {node.name()} was created here:\n{node.creation_trace}")
        raise
    finally:
        if raw:
            node._raw = False
    if not retain_graph:
        node._release()
    if not isinstance(grads, tuple):
        grads = (grads,)
    edges = node.next_edges
    n = len(edges)
    # An op may leave out trailing gradients of arguments that are not tensors.
    if (len(grads) < n and any(e is not None for e in edges[len(grads):])) or (
        len(grads) > n and any(g is not None for g in grads[n:])
    ):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {n}, got {len(grads)})"
        )
    fixed = [None] * n
    for i, (edge, g) in enumerate(zip(edges, grads)):
        if edge is None or g is None:
            continue
        fixed[i] = g = _conform(node, i, g)
        if anomaly.enabled:
            anomaly.check_gradient(node, i, g)
    return fixed


def _conform(node, index, g) -> Tensor:
    """Bring an op's gradient to its input's shape (sum over broadcast dims) and dtype."""
    if not isinstance(g, Tensor):
        g = Tensor._make(g)
    shape, dtype = node.input_meta[index]
    if g._data.shape != shape:
        try:
            g = sum_to_shape(g, shape)
        except ValueError:
            raise RuntimeError(
                f"function {node.name()} returned a gradient of shape {tuple(g.shape)} for input "
                f"{index}, which has shape {tuple(shape)}"
            ) from None
    if g._data.dtype != dtype:
        g = g.to(dtype)
    return g


def _deliver_to_leaf(leaf, g, owned, create_graph, capture_leaf, captured) -> None:
    hooks = leaf._hooks
    if hooks:
        for fn in list(hooks):
            result = fn(g)
            if result is not None:
                g, owned = result, False
    if captured is not None:
        index = capture_leaf.get(id(leaf))
        if index is not None:
            captured[index] = g if captured[index] is None else captured[index] + g
        return
    _accumulate(leaf, g, owned, create_graph)


def _accumulate(tensor, g, owned, create_graph) -> None:
    """``tensor.grad += g``, never letting two ``.grad`` share one array."""
    # the engine writes ``_grad`` itself: its gradients have the tensor's shape, dtype and device by
    # construction, so the checks of the public ``grad`` setter would only cost time
    if create_graph:
        tensor._grad = g if tensor._grad is None else tensor._grad + g
        return
    if tensor._grad is None:
        data = g._data if owned else g._data.copy()
        tensor._grad = Tensor._make(data)
        return
    current = tensor._grad._data
    if current.shape == g._data.shape and backend.is_writeable(current):
        current += g._data
        tensor._grad._bump_version()
    else:
        tensor._grad = Tensor._make(current + g._data)


def _used_once(g, grads, buf) -> bool:
    """True when ``g``'s array was freshly made for one input: not passed through, not shared.

    Compared by array, not by Tensor: a backward run on raw arrays gets new wrappers.
    """
    data = g._data
    if any(b is not None and b._data is data for b in buf):
        return False
    return sum(other is not None and other._data is data for other in grads) == 1


def _count_dependencies(root_nodes) -> dict:
    """For each node reachable from the roots, the number of edges leading into it."""
    deps = {}
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if edge is None or edge[1] is None:
                continue
            target = edge[0]
            deps[target] = deps.get(target, 0) + 1
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return deps


def _nodes_leading_to(root_nodes, deps, capture_leaf, capture_node) -> set:
    """The nodes from which a captured tensor can be reached (the only ones worth running)."""
    remaining = dict(deps)
    order = []
    stack = [node for node in root_nodes if remaining.get(node, 0) == 0]
    while stack:  # topological order, parents first
        node = stack.pop()
        order.append(node)
        for edge in node.next_edges:
            if edge is None or edge[1] is None:
                continue
            remaining[edge[0]] -= 1
            if remaining[edge[0]] == 0:
                stack.append(edge[0])
    capture_nodes = {node for node, _ in capture_node}
    needed = set()
    for node in reversed(order):  # children before parents
        if node in capture_nodes:
            needed.add(node)
            continue
        for edge in node.next_edges:
            if edge is None:
                continue
            target, nr = edge
            if (nr is None and id(target) in capture_leaf) or (nr is not None and target in needed):
                needed.add(node)
                break
    return needed


# ---------------------------------------------------------------------------- helpers
def leaf_edges(outputs):
    """Each leaf that backward from ``outputs`` would deliver a gradient to, once per edge into it.

    An output that is itself a leaf requiring grad comes once; a leaf reached by k edges of the
    graph comes k times (backward calls its hooks k times). Used by DistributedDataParallel to count
    the gradients a parameter will receive and by checkpoint to find the parameters a segment uses.
    """
    stack, seen = [], set()
    for tensor in outputs:
        if tensor.grad_fn is not None:
            stack.append(tensor.grad_fn)
        elif tensor.requires_grad:
            yield tensor
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.next_edges:
            if edge is None:
                continue
            target, output_nr = edge
            if output_nr is None:
                yield target
            elif id(target) not in seen:
                stack.append(target)


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _root_grads(tensors, grad_tensors, name) -> list:
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    else:
        grad_tensors = _as_list(grad_tensors) if not isinstance(grad_tensors, (list, tuple)) else list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"{name}: got {len(grad_tensors)} gradients for {len(tensors)} tensors")
    grads = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected Tensors to differentiate, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(
                f"{name}: element {i} of tensors does not require grad and does not have a grad_fn "
                "(did you forget requires_grad=True, or compute it under no_grad?)"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"{name}: grad can be implicitly created only for scalar outputs, but the tensor "
                    f"has shape {tuple(t.shape)}; pass gradient= (a tensor of that shape)"
                )
            xp = _xp(t._data)
            g = Tensor._make(xp.ones(t._data.shape, dtype=t._data.dtype))
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(_xp(t._data).asarray(g, dtype=t._data.dtype))
            if g.shape != t.shape:
                raise RuntimeError(
                    f"{name}: mismatch in shape: the gradient has shape {tuple(g.shape)} and the "
                    f"output has shape {tuple(t.shape)}"
                )
        grads.append(g)
    return grads


def _xp(array):
    from ..backend import array_module_of

    return array_module_of(array)


def _zeros_like(array):
    return _xp(array).zeros_like(array)
