"""Checks for exercise 05, the backward engine: the topological order is valid on several graphs, and
the .grad of every leaf equals what tinynn's own backward gives, on graphs that each test one rule."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, Mismatch, StudentError, numeric_gradient, on_arrays


def _chain(x):
    return (x * 2.0 + 1.0).exp().sum()


def _diamond(x, w):
    p = x * w                   # used by exp and by the add: its gradient is the sum of both
    return (p.exp() + p).sum()


def _square(x):
    return (x * x).sum()        # one leaf, two edges into the same node


def _broadcast(x, b, c):
    return ((x + b) * c).sum()  # b: (4,) and c: (3, 1) are broadcast to (3, 4)


def _reductions(x):
    return (x.sum(dim=1, keepdim=True) * x).mean() + x.amax()


def _chunked(x):
    a, b, _ = (x * 2.0).chunk(3, dim=1)   # a node with three outputs; the third is never used
    return (a * b).sum()


def _matmul(x, w):
    return x @ w                # a (3, 2) root: backward gets its gradient


def _mlp(x, w1, b1, w2, b2, target):
    return F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), target)


def _mixed(x32, w64):
    return (x32 * w64).exp().sum()      # float64 result: x32's gradient must be cast back to float32


def _deep(x, length: int = 3000):
    for _ in range(length):
        x = x * 0.999
    return x.sum()


def _leaves(g: Grader):
    """name -> (array, requires_grad) for each graph's leaves."""
    return {
        "chain": {"x": (g.randn(3, 4), True)},
        "diamond": {"x": (0.5 * g.randn(3, 4), True), "w": (0.5 * g.randn(3, 4), True)},
        "square": {"x": (g.randn(2, 3), True)},
        "broadcast": {"x": (g.randn(3, 4), True), "b": (g.randn(4), True), "c": (g.randn(3, 1), True)},
        "reductions": {"x": (g.randn(3, 5), True)},
        "chunked": {"x": (g.randn(2, 6), True)},
        "matmul": {"x": (g.randn(3, 4), True), "w": (g.randn(4, 2), True)},
        "mlp": {"x": (g.randn(5, 4), False), "w1": (0.5 * g.randn(8, 4), True), "b1": (0.1 * g.randn(8), True),
                "w2": (0.5 * g.randn(3, 8), True), "b2": (0.1 * g.randn(3), True),
                "target": (np.array([0, 2, 1, 2, 0]), False)},
        "mixed": {"x32": (g.randn(3, 4, dtype=np.float32), True), "w64": (g.randn(4), True)},
    }


# (graph, what it tests, points, the function building it from the leaves)
GRAPHS = [
    ("chain", "a chain: sum(exp(2x + 1))", 1, _chain),
    ("diamond", "a tensor used twice: p = x * w, sum(exp(p) + p)", 2, _diamond),
    ("square", "a leaf used twice in one op: sum(x * x)", 2, _square),
    ("broadcast", "broadcasting: sum((x + b) * c), x: (3, 4), b: (4,), c: (3, 1)", 2, _broadcast),
    ("reductions", "reductions: mean(x.sum(1, keepdim=True) * x) + x.amax()", 1, _reductions),
    ("chunked", "a node with several outputs: a, b, c = (2x).chunk(3, dim=1), sum(a * b), c unused", 2, _chunked),
    ("matmul", "a non-scalar root x @ w: (3, 2) with a given grad", 1, _matmul),
    ("mlp", "an MLP: cross_entropy(linear(relu(linear(x, w1, b1)), w2, b2), target), x without grad", 3, _mlp),
    ("mixed", "float32 x times float64 w: x.grad float32 (cast back to the input's dtype)", 1, _mixed),
]
BUILD = {key: build for key, _, _, build in GRAPHS}

_HINTS = (("different size", "unbroadcast each gradient whose shape differs from input_meta[i]'s shape (exercise 04)"),
          ("different type", "cast each gradient to input_meta[i]'s dtype: g.astype(dtype)"),
          ("recursion", "walk the graph with a loop over a stack (or Kahn's algorithm), not with recursion"),
          ("KeyError", "a node ran before anything sent it a gradient: is the order right?"))


def _tensors(arrays: dict) -> list:
    return [tinynn.tensor(a, requires_grad=flag) for a, flag in arrays.values()]


def _call(g: Grader, fn, *args, what: str, **kwargs):
    """g.call, with a hint for the errors a walk often runs into."""
    try:
        return g.call(fn, *args, what=what, **kwargs)
    except StudentError as exc:
        message = str(exc)
        for needle, hint in _HINTS:
            if needle.lower() in message.lower():
                raise StudentError(f"{message}. Hint: {hint}") from None
        raise


def _reachable(root) -> dict:
    """The nodes reachable from root.grad_fn, in the order first met (a dict used as an ordered set)."""
    nodes, stack = {root.grad_fn: None}, [root.grad_fn]
    while stack:
        for edge in stack.pop().next_edges:
            if edge is not None and edge[1] is not None and edge[0] not in nodes:
                nodes[edge[0]] = None
                stack.append(edge[0])
    return nodes


def _order_problem(order, root) -> str | None:
    """Why ``order`` is not a topological order of root's graph (None when it is one)."""
    if not isinstance(order, (list, tuple)):
        return f"topological_order returned a {type(order).__name__}, expected a list of nodes"
    nodes = _reachable(root)
    position = {}
    for i, node in enumerate(order):
        if isinstance(node, tinynn.Tensor):
            return (f"item {i} of your list is a Tensor (a leaf?): the list holds graph nodes (the grad_fn "
                    "objects) only, and leaves are not nodes")
        if node in position:
            return (f"{node.name()} is in your list twice (at {position[node]} and {i}): list each node once. "
                    "Hint: keep a set of the nodes already seen")
        if node not in nodes:
            return f"item {i} of your list ({node!r}) is not a node of this graph"
        position[node] = i
    missing = [node for node in nodes if node not in position]
    if missing:
        return (f"{len(missing)} of the {len(nodes)} nodes are missing from your list, the first {missing[0].name()}. "
                "Hint: follow every edge (node, output_nr) whose output_nr is not None")
    for node in order:
        for edge in node.next_edges:
            if edge is not None and edge[1] is not None and position[edge[0]] < position[node]:
                child = edge[0]
                return (f"{child.name()} (at {position[child]}) comes before {node.name()} (at {position[node]}), "
                        f"which uses its output: {node.name()} must come first, so that its share of "
                        f"{child.name()}'s gradient has arrived when {child.name()} runs. Hint: a node is ready "
                        "only when every node using it is placed (Kahn), or reverse a depth-first post-order")
    return None


def _check_order(g: Grader, student, root, what: str) -> None:
    order = _call(g, student.topological_order, root, what="topological_order")
    problem = _order_problem(order, root)
    if problem:
        raise Mismatch(f"topological order of {what}: {problem}")


def _expect_grads(g: Grader, names, mine, library, mistakes=None, **options) -> None:
    for name, a, e in zip(names, mine, library):
        if not e.requires_grad:
            if a.grad is not None:
                raise Mismatch(f"{name}.grad: {name} does not require grad, so it gets no .grad (its edge is None)")
            continue
        g.expect(f"{name}.grad", a.grad, e.grad, got_label="yours", expected_label="tinynn's backward",
                 mistakes=(mistakes or {}).get(name), expect_tensor=False, **options)


def _known_mistakes(key: str, arrays: dict, library) -> dict:
    """Wrong .grad values that name the rule a walk broke, for the graphs where they are easy to write."""
    if key == "square":
        return {"x": {"half the gradient: the second edge into x replaced the first (ADD to .grad)":
                      library[0].grad.numpy() / 2}}
    if key == "diamond":
        x, w = arrays["x"][0], arrays["w"][0]
        only_exp, only_add = np.exp(x * w), np.ones_like(x)
        share = "the gradients p receives from its two users must be ADDED"
        exp_path, direct_path = f"only the exp path's share ({share})", f"only the direct path's share ({share})"
        return {"x": {exp_path: w * only_exp, direct_path: w * only_add},
                "w": {exp_path: x * only_exp, direct_path: x * only_add}}
    return {}


def grade(g: Grader, student, reference) -> None:
    leaves = _leaves(g)
    for key, what in [("chain", "a chain"), ("diamond", "a tensor used twice"),
                      ("chunked", "a node with several outputs"), ("mlp", "an MLP with cross-entropy")]:
        with g.check(f"the order of {what}", "topological_order", points=2 if key == "diamond" else 1):
            _check_order(g, student, BUILD[key](*_tensors(leaves[key])), what)

    for key, what, points, build in GRAPHS:
        arrays = leaves[key]
        with g.check(what, "backward", points=points):
            mine, library = _tensors(arrays), _tensors(arrays)
            root, expected = build(*mine), build(*library)
            grad = tinynn.tensor(g.randn(*root.shape)) if root.ndim else None
            _call(g, student.backward, root, grad, what="backward")
            expected.backward(grad)
            loose = {"rtol": 1e-5, "atol": 1e-6} if key == "mixed" else {}
            _expect_grads(g, list(arrays), mine, library, _known_mistakes(key, arrays, library), **loose)

    arrays = leaves["diamond"]
    with g.check("the diamond's gradients against finite differences", "backward"):
        mine = _tensors(arrays)
        _call(g, student.backward, _diamond(*mine), what="backward")
        values = [a for a, _ in arrays.values()]
        for i, (name, tensor) in enumerate(zip(arrays, mine)):
            numeric = numeric_gradient(on_arrays(_diamond), values, i, np.float64(1.0))
            g.expect_gradient(name, g.require_gradient(name, tensor.grad), numeric)

    with g.check("two backward calls add up in .grad (as in PyTorch)", "backward"):
        mine, library = _tensors(leaves["broadcast"]), _tensors(leaves["broadcast"])
        for _ in range(2):
            _call(g, student.backward, _broadcast(*mine), what="backward")
            _broadcast(*library).backward()
        _expect_grads(g, list(leaves["broadcast"]), mine, library,
                      {name: {"only the last call's gradient: .grad was replaced, not added to": t.grad.numpy() / 2}
                       for name, t in zip(leaves["broadcast"], library)})

    with g.check("backward uses the unbroadcast it is given (arrays in, arrays out)", "backward", points=2):
        _check_given_unbroadcast(g, student, reference, leaves["broadcast"])

    x = g.randn(4)
    with g.check("a chain of 3000 operations (no recursion limit)", "backward"):
        mine, library = tinynn.tensor(x, requires_grad=True), tinynn.tensor(x, requires_grad=True)
        root = _deep(mine)
        _check_order(g, student, root, "a chain of 3000 operations")
        _call(g, student.backward, root, what="backward")
        _deep(library).backward()
        _expect_grads(g, ["x"], [mine], [library], rtol=1e-9)


def _check_given_unbroadcast(g: Grader, student, reference, arrays: dict) -> None:
    calls, not_arrays = [], []

    def spy(grad, shape):
        calls.append((tuple(grad.shape), tuple(shape)))
        if not isinstance(grad, np.ndarray):
            not_arrays.append(type(grad).__name__)
            grad = grad.numpy()
        return reference.library_unbroadcast(grad, shape)

    mine, library = _tensors(arrays), _tensors(arrays)
    _call(g, student.backward, _broadcast(*mine), unbroadcast=spy, what="backward")
    _broadcast(*library).backward()
    for needed in [((3, 4), (4,)), ((3, 4), (3, 1))]:
        if needed not in calls:
            raise Mismatch(f"backward(root, unbroadcast=f) never called f(grad of shape {needed[0]}, {needed[1]}) "
                           f"(its calls: {calls or 'none'}): use the unbroadcast you are given, and the library's only "
                           "when it is None")
    if not_arrays:
        raise Mismatch(f"backward passed a {not_arrays[0]} to unbroadcast, which works on NumPy arrays: "
                       "give it g.detach().numpy()")
    _expect_grads(g, list(arrays), mine, library)
