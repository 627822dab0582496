"""Exercise 05: the backward engine, the topological order of the graph and the walk that fills .grad.

Every tensor made by an operation remembers the operation: ``y.grad_fn`` is a graph node. (A leaf,
a tensor you made yourself, has ``grad_fn`` None.) A node knows, for each input of its operation:

    node.next_edges[i]   where input i's gradient goes:
                           (other_node, output_nr)  input i was output number output_nr of other_node
                           (leaf, None)             input i is a leaf tensor that requires grad
                           None                     input i needs no gradient (a constant, an int)
    node.input_meta[i]   (shape, dtype) of input i (None where next_edges[i] is None)
    type(node).backward(node, *grads)
                         one gradient Tensor per output of the node in, one per input out (a
                         tuple, or a single Tensor; None for an input without gradient). The node
                         itself is the ctx that forward saved its tensors on (exercise 01).

For example, with leaves x, w (requiring grad), p = x * w and L = sum(exp(p) + p):

    L.grad_fn = SumBackward    next_edges ((AddBackward, 0), None, None)     (dim, keepdim: None)
    AddBackward                next_edges ((ExpBackward, 0), (MulBackward, 0), None)   (alpha)
    ExpBackward                next_edges ((MulBackward, 0),)
    MulBackward                next_edges ((x, None), (w, None))

MulBackward must not run until BOTH AddBackward and ExpBackward, which use its output p, have
sent it their gradients: dL/dp is the SUM of what they send (p is used twice). That is why the
order matters.

1. ``topological_order(root)``: every node reachable from ``root.grad_fn``, each exactly once and
   each BEFORE every node it depends on (the nodes its next_edges lead to). Here: Sum, Add, Exp,
   Mul (Sum, Add, Mul, Exp is wrong: Mul would run before Exp sent it its share). Leaves are not
   nodes: they are not in the list. Two classic ways:
     - Kahn: count, for every node, the edges leading into it (a first walk over the graph with a
       stack and a seen set). Then start with the root's node ready; emit a ready node, and for
       each of its edges lower the count of the node it leads to: at 0, every node that sends
       that node a gradient is emitted, and it is ready.
     - depth first: visit a node's inputs first, append the node after them (post-order), then
       reverse the list. Use a seen set; a recursive version stops at Python's recursion limit
       (about 1000 nested calls) and the grader also builds a chain of 3000 operations.
2. ``backward(root, grad=None, unbroadcast=None)``: root is a tensor made by an operation; its
   gradient (``grad``, a Tensor shaped like root; default ones: dL/dL = 1 for a scalar loss) goes
   to output ``output_index(root)`` of root.grad_fn.
   Keep, for each node, the gradients its outputs have received so far (a dict node -> list with
   one entry per output, see ``number_of_outputs``). Then, for each node in topological order:
     - take its outputs' gradients; an output that received none (possible when a node has several
       outputs, like ``chunk``) gets zeros of its shape and dtype from ``node.output_meta[k]``;
     - call ``type(node).backward(node, *tinynn tensors)``; make a single result a 1-tuple;
     - for each input i with an edge and a gradient (not None): as an array, ``unbroadcast`` it to
       ``input_meta[i]``'s shape if its shape differs (the op may have broadcast that input,
       exercise 04), cast it to input_meta[i]'s dtype, then
         a leaf (output_nr None): ADD it to ``leaf.grad`` (set it if None; PyTorch accumulates)
         a node: ADD it to that node's entry for output output_nr.
   Run the walk inside ``with tinynn.no_grad():`` (it records no graph of its own), and keep
   gradients as NumPy arrays between nodes (``t.detach().numpy()``, ``tinynn.tensor(a)``).
   ``unbroadcast`` is an array function ``unbroadcast(grad, shape)``: yours from exercise 04, or,
   when None, ``library_unbroadcast`` below.

You may not call tinynn's engine (``Tensor.backward``, ``tinynn.autograd.backward`` or ``grad``):
this is the engine. The grader checks the order on several graphs, then compares each leaf's
.grad with tinynn's own backward (tinynn/autograd/engine.py): a chain, a tensor used twice, a leaf
used twice in one op, broadcasting, reductions, a node with several outputs, a non-scalar root, a
small MLP with cross-entropy, float32, two backward calls, and a chain of 3000 operations.
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.ops.shape import sum_to_shape

LESSON = 4
FORBIDDEN = ["tinynn.Tensor.backward", "tinynn.autograd.backward", "tinynn.autograd.grad",
             "tinynn.autograd.engine.backward", "tinynn.autograd.engine.grad"]
PARTS = {"engine": ["topological_order", "backward"]}


def number_of_outputs(node) -> int:
    """How many outputs ``node``'s operation made (given): 1, or len(node.output_meta) when several."""
    return max(1, len(node.output_meta))


def output_index(tensor) -> int:
    """Which output of ``tensor.grad_fn`` the tensor is (given): 0 unless the op made several."""
    return tensor._output_nr


def library_unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """tinynn's own unbroadcast, on arrays (given): the default when ``backward`` gets none."""
    return sum_to_shape(tinynn.tensor(grad), tuple(shape)).numpy()


def topological_order(root: tinynn.Tensor) -> list:
    """The nodes reachable from ``root.grad_fn``, each once, each before the nodes its next_edges lead to."""
    # >>> solution
    if root.grad_fn is None:
        return []
    incoming = {root.grad_fn: 0}     # node -> how many edges lead into it
    stack = [root.grad_fn]
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if edge is None or edge[1] is None:          # no gradient, or a leaf: not a node
                continue
            child = edge[0]
            if child not in incoming:
                incoming[child] = 0
                stack.append(child)
            incoming[child] += 1
    order, ready = [], [root.grad_fn]
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node.next_edges:
            if edge is None or edge[1] is None:
                continue
            child = edge[0]
            incoming[child] -= 1
            if incoming[child] == 0:                     # everything feeding it is already in order
                ready.append(child)
    return order
    # <<< solution


def backward(root: tinynn.Tensor, grad=None, unbroadcast=None) -> None:
    """Add d(root)/d(leaf), weighted by ``grad`` (default ones), into ``.grad`` of every leaf that requires grad."""
    # >>> solution
    if unbroadcast is None:
        unbroadcast = library_unbroadcast
    if grad is None:
        grad = np.ones(root.shape, dtype=root.dtype)
    elif isinstance(grad, tinynn.Tensor):
        grad = grad.detach().numpy()
    received = {root.grad_fn: [None] * number_of_outputs(root.grad_fn)}
    received[root.grad_fn][output_index(root)] = grad
    with tinynn.no_grad():
        for node in topological_order(root):
            outputs = received.pop(node, None)
            if outputs is None:                          # every path to it had no gradient
                continue
            for k, g in enumerate(outputs):
                if g is None:                            # an output nobody used: its gradient is 0
                    shape, dtype = node.output_meta[k]
                    outputs[k] = np.zeros(shape, dtype=dtype)
            inputs = type(node).backward(node, *[tinynn.tensor(g) for g in outputs])
            if not isinstance(inputs, tuple):
                inputs = (inputs,)
            for edge, meta, g in zip(node.next_edges, node.input_meta, inputs):
                if edge is None or g is None:
                    continue
                shape, dtype = meta
                g = g.detach().numpy()
                if g.shape != shape:
                    g = unbroadcast(g, shape)
                g = g.astype(dtype, copy=False)
                target, output_nr = edge
                if output_nr is None:                    # a leaf: accumulate into .grad
                    target.grad = tinynn.tensor(g) if target.grad is None else target.grad + tinynn.tensor(g)
                else:
                    slots = received.setdefault(target, [None] * number_of_outputs(target))
                    slots[output_nr] = g if slots[output_nr] is None else slots[output_nr] + g
    # <<< solution
