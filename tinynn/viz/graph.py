"""The graph behind a tensor as boxes and arrows, and as Graphviz DOT text.

    to_dot(loss)                      DOT text: paste it into any Graphviz viewer, or `dot -Tsvg`
    draw_graph(loss, path="g.png")    the same picture drawn with matplotlib alone (graph_drawing.py)

Both start from ``extract_graph``, which walks the nodes behind a tensor (``grad_fn`` and each
node's ``next_edges``) the way backward will, and turns them into a plain list of boxes and
arrows, micrograd-style: a box per tensor (shape, dtype, and for small tensors its numbers and
its ``.grad``), an oval per operation, and arrows input -> op -> output.

What the graph remembers is what backward needs, and no more: a leaf tensor that requires grad
(the graph keeps it, to fill its ``.grad``), an intermediate result only through its shape and
dtype unless an op saved it for backward (``tanh`` saves its output, ``mul`` its inputs), and
nothing at all of inputs that need no gradient (they have no edge). The picture shows exactly that.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..tensor import Tensor


class TensorBox:
    """One tensor of the picture: ``role`` is 'leaf', 'output' or '' for an intermediate result."""

    def __init__(self, key: str, role: str, name: str | None, shape: tuple, dtype,
                 data: str | None = None, grad: str | None = None):
        self.key, self.role, self.name, self.shape, self.dtype = key, role, name, tuple(shape), dtype
        self.data, self.grad = data, grad

    def lines(self) -> list[str]:
        """The text of the box, one field per line: title, shape and dtype, data, grad."""
        title = f"{self.name} ({self.role})" if self.name and self.role else (self.name or self.role)
        lines = [title] if title else []
        lines.append(f"{self.shape} {self.dtype}")
        if self.data is not None:
            lines.append(f"data {self.data}")
        if self.grad is not None:
            lines.append(f"grad {self.grad}")
        return lines


class GraphPicture:
    """Boxes (``tensors``), ovals (``ops``: key -> op name) and arrows (``edges``: key pairs)."""

    def __init__(self):
        self.tensors: dict[str, TensorBox] = {}
        self.ops: dict[str, str] = {}
        self.edges: list[tuple[str, str]] = []


def extract_graph(tensor: Tensor, names=None, show_values: bool = True, max_elements: int = 4) -> GraphPicture:
    """The picture of the graph that made ``tensor``; each node and each tensor appears once.

    The walk keeps its own stack instead of recursing, so a chain of 10,000 ops is no problem.
    ``names`` maps tensors to names: ``{W: "W1"}``, ``dict(model.named_parameters())`` or the
    ``(name, tensor)`` pairs of ``named_parameters()``.
    """
    named = _name_table(names)
    picture = GraphPicture()

    def describe(t: Tensor | None, role: str, shape, dtype) -> TensorBox:
        key = f"t{len(picture.tensors)}"
        box = TensorBox(key, role, None if t is None else named.get(id(t)), shape, dtype)
        if t is not None and show_values:
            box.data = _small_values(t, max_elements)
            box.grad = None if t.grad is None else _small_values(t.grad, max_elements)
        picture.tensors[key] = box
        return box

    root_fn = tensor.grad_fn
    if root_fn is None:  # a leaf (or a tensor outside any graph): a single box
        describe(tensor, "output", tensor.shape, tensor.dtype)
        return picture

    # Pass 1: every node once (a node reached twice, as in a shared subexpression, is skipped),
    # and every intermediate tensor the graph still holds, keyed by (node that made it, output_nr).
    nodes, held = _walk(root_fn)
    held[(root_fn, tensor._output_nr)] = tensor
    op_key = {node: f"op{i}" for i, node in enumerate(nodes)}
    for node in nodes:
        picture.ops[op_key[node]] = _op_name(node)

    # Pass 2: a box for each tensor flowing along an edge, and the arrows.
    box_of: dict = {}
    output_box = describe(tensor, "output", tensor.shape, tensor.dtype)
    box_of[(root_fn, tensor._output_nr)] = output_box.key
    picture.edges.append((op_key[root_fn], output_box.key))
    for node in nodes:
        for i, edge in enumerate(node.next_edges):
            if edge is None:  # an input that needs no gradient: the graph has no trace of it
                continue
            source, output_nr = edge
            slot = id(source) if output_nr is None else (source, output_nr)
            if slot not in box_of:
                shape, dtype = node.input_meta[i]
                if output_nr is None:  # source is the leaf tensor itself
                    box_of[slot] = describe(source, "leaf", source.shape, source.dtype).key
                else:
                    box_of[slot] = describe(held.get(slot), "", shape, dtype).key
                    picture.edges.append((op_key[source], box_of[slot]))
            picture.edges.append((box_of[slot], op_key[node]))
    return picture


def _walk(root_fn) -> tuple[list, dict]:
    """The nodes reachable from ``root_fn`` (depth first, iterative) and the tensors they saved."""
    nodes, seen, held = [], set(), {}
    stack = [root_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        nodes.append(node)
        for t in _saved_tensors(node):
            if t.grad_fn is not None:
                held.setdefault((t.grad_fn, t._output_nr), t)  # the user's own tensor, not a rebuilt copy
        for edge in node.next_edges:
            if edge is not None and edge[1] is not None and edge[0] not in seen:
                stack.append(edge[0])
    return nodes, held


def _saved_tensors(node) -> tuple:
    """What ``node`` saved for backward, or nothing once backward has freed it."""
    try:
        saved = node.saved_tensors
    except RuntimeError:  # freed by backward, or changed in place since
        return ()
    return tuple(t for t in saved if isinstance(t, Tensor))


def _op_name(node) -> str:
    name = node.name()
    return name[: -len("Backward")] if name.endswith("Backward") and name != "Backward" else name


def _name_table(names) -> dict[int, str]:
    """{id(tensor): name} from a {tensor: name} or {name: tensor} mapping, or (name, tensor) pairs."""
    if names is None:
        return {}
    pairs = names.items() if isinstance(names, Mapping) else names
    table = {}
    for a, b in pairs:
        tensor, name = (a, b) if isinstance(a, Tensor) else (b, a)
        if not isinstance(tensor, Tensor):
            raise TypeError(f"names: expected tensors paired with names, got {type(a).__name__} and {type(b).__name__}")
        table[id(tensor)] = str(name)
    return table


def _small_values(t: Tensor, max_elements: int) -> str | None:
    """The numbers of ``t`` on one line, nested like lists, or None when it has more than ``max_elements``."""
    if t.numel() > max_elements:
        return None
    return _nested(t.tolist())


def _nested(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return _number(value) if isinstance(value, float) else str(value)


def _number(v: float) -> str:
    """4 decimals without trailing zeros (``1.``, ``0.25``, ``-1.5``), or ``1.235e-07`` when tiny or huge."""
    if v == 0 or 1e-3 <= abs(v) < 1e5 or not np.isfinite(v):
        return f"{v:.4f}".rstrip("0")
    return f"{v:.3e}"


# ---------------------------------------------------------------------------- DOT text
_COLORS = {"leaf": "lightblue", "output": "palegreen", "": "white"}


def to_dot(tensor: Tensor, show_values: bool = True, max_elements: int = 4, names=None) -> str:
    """Graphviz DOT text of the graph behind ``tensor``, laid out left (leaves) to right (output).

    Tensors are record nodes ``t0, t1, ...`` (t0 is ``tensor`` itself), ops are ovals ``op0, ...``.
    """
    picture = extract_graph(tensor, names, show_values, max_elements)
    lines = ["digraph tinynn {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for box in picture.tensors.values():
        label = " | ".join(_escape_record(line) for line in box.lines())
        lines.append(f'  {box.key} [shape=record, style=filled, fillcolor={_COLORS[box.role]}, label="{label}"];')
    for key, name in picture.ops.items():
        lines.append(f'  {key} [shape=ellipse, style=filled, fillcolor=lightyellow, label="{_escape_plain(name)}"];')
    for source, target in picture.edges:
        lines.append(f"  {source} -> {target};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape_plain(text: str) -> str:
    """Text inside a DOT double-quoted string: backslashes and quotes escaped, one line."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def _escape_record(text: str) -> str:
    """A record field: the characters that structure records ({ } | < >) are escaped too."""
    text = _escape_plain(text)
    for ch in "{}|<>":
        text = text.replace(ch, "\\" + ch)
    return text
