"""Drawing the graph behind a tensor with matplotlib alone: a layered layout, then boxes and arrows.

The layout is the classic one for drawing a DAG (Sugiyama's method), in three steps:

1. **Layers.** Longest-path layering: in topological order, layer(v) = 1 + max(layer of v's
   inputs), 0 for the leaves, so every arrow points forward. A leaf is then moved to just before
   its first consumer, so a bias used late in the graph does not start a long arrow at layer 0.
2. **Long edges.** An arrow that skips layers is split by an invisible waypoint in each layer it
   crosses; the waypoints take part in the ordering, so the arrow gets a lane of its own instead
   of cutting through the boxes in between.
3. **Order within layers.** Barycentric sweeps: going forward, then backward, each node's place
   becomes the mean place of its neighbours in the layer just placed; sorting a layer by that
   value lines connected nodes up and removes most crossings.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .graph import extract_graph


def layered_layout(keys: list, edges: list, sweeps: int = 4) -> tuple[dict, list]:
    """Place a DAG: ({key: (layer, row)}, the route of each edge as a list of keys).

    A route runs from the edge's source through its waypoints (keys ``("via", edge_index, layer)``,
    placed like nodes) to its target. Rows are centred on 0 within each layer.
    """
    layer = _longest_path_layers(keys, edges)
    routes, links = [], []
    for i, (a, b) in enumerate(edges):
        route = [a]
        for depth in range(layer[a] + 1, layer[b]):
            waypoint = ("via", i, depth)
            layer[waypoint] = depth
            route.append(waypoint)
        route.append(b)
        routes.append(route)
        links += zip(route, route[1:])
    row = _order_rows(layer, links, sweeps)
    return {k: (layer[k], row[k]) for k in layer}, routes


def _longest_path_layers(keys: list, edges: list) -> dict:
    preds = {k: [] for k in keys}
    succs = {k: [] for k in keys}
    for a, b in edges:
        succs[a].append(b)
        preds[b].append(a)
    waiting = {k: len(preds[k]) for k in keys}
    ready = [k for k in keys if waiting[k] == 0]
    order = []
    while ready:  # Kahn's topological sort: a node is ready once all its inputs are placed
        k = ready.pop()
        order.append(k)
        for s in succs[k]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    layer = {}
    for k in order:
        layer[k] = max((layer[p] + 1 for p in preds[k]), default=0)
    for k in order:
        if not preds[k] and succs[k]:
            layer[k] = min(layer[s] for s in succs[k]) - 1
    return layer


def _order_rows(layer: dict, links: list, sweeps: int) -> dict:
    """Rows within each layer by barycentric sweeps; links join adjacent layers only."""
    preds = {k: [] for k in layer}
    succs = {k: [] for k in layer}
    for a, b in links:
        succs[a].append(b)
        preds[b].append(a)
    layers = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for k, depth in layer.items():
        layers[depth].append(k)
    row = {}
    for members in layers:
        _centre_rows(members, row)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        neighbours = preds if forward else succs
        for members in (layers[1:] if forward else layers[-2::-1]):
            target = {k: _mean_row(neighbours[k], row) if neighbours[k] else row[k] for k in members}
            members.sort(key=target.__getitem__)  # stable: ties keep their order
            _centre_rows(members, row)
    return row


def _mean_row(keys: list, row: dict) -> float:
    return sum(row[k] for k in keys) / len(keys)


def _centre_rows(members: list, row: dict) -> None:
    for i, k in enumerate(members):
        row[k] = i - (len(members) - 1) / 2


_FILL = {"leaf": "#cfe2ff", "output": "#c8f7c5", "": "#f4f4f4", "op": "#ffe8a3"}
_CHAR_W, _LINE_H, _GAP_X, _GAP_Y = 0.067, 0.14, 0.45, 0.3  # inches at the base font size of 8 pt
_MAX_ARROWHEADS = 500  # beyond this many edges, plain lines (the layers already show the direction)


def draw_graph(tensor: Tensor, path=None, names=None, ax=None, show_values: bool = True, max_elements: int = 4):
    """Draw the graph behind ``tensor`` with matplotlib (no Graphviz); return the Figure.

    Boxes are tensors (blue: leaves, green: the output, with their numbers when they have at
    most ``max_elements``), ovals are ops. The picture is sized for an 8 pt font and shrunk (fonts
    too) to fit 24 x 16 inches, or ``ax`` when one is given; layers run left to right, or top to
    bottom when that shrinks it less (long chains). Saved to ``path`` when one is given.
    """
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    picture = extract_graph(tensor, names, show_values, max_elements)
    text = {k: box.lines() for k, box in picture.tensors.items()}
    text.update({k: [name] for k, name in picture.ops.items()})
    size = {k: (_CHAR_W * max(map(len, lines)) + (0.3 if k in picture.tensors else 0.4),
                _LINE_H * len(lines) + 0.16) for k, lines in text.items()}
    place, routes = layered_layout(list(text), picture.edges)
    for k in place:
        size.setdefault(k, (0.0, 0.0))  # waypoints take no room along the layers

    if ax is None:
        fig, room = None, (24.0, 16.0)
    else:
        fig = ax.figure
        box = ax.get_window_extent().transformed(fig.dpi_scale_trans.inverted())
        room = (box.width, box.height)
    # Left to right or top to bottom: whichever needs less shrinking to fit the room.
    layouts = [_coordinates(place, size, horizontal) for horizontal in (True, False)]
    scales = [min(1.0, room[0] / w, room[1] / h) for _, (w, h) in layouts]
    horizontal = scales[0] >= scales[1]
    scale = max(scales)
    centre, (width, height) = layouts[0 if horizontal else 1]
    if fig is None:
        fig = Figure(figsize=(max(width * scale, 1), max(height * scale, 1)))
        ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(-height, 0)
    ax.set_aspect("equal", adjustable="box")  # ovals stay ovals whatever the axes' shape
    ax.set_axis_off()
    font = 8 * scale

    arrows = []
    for route in routes:
        (xa, ya), (xb, yb) = centre[route[0]], centre[route[-1]]
        (wa, ha), (wb, hb) = size[route[0]], size[route[-1]]
        if horizontal:  # from the right side of the source to the left side of the target
            start, end = (xa + wa / 2, ya), (xb - wb / 2, yb)
        else:  # from the bottom of the source to the top of the target
            start, end = (xa, ya - ha / 2), (xb, yb + hb / 2)
        arrows.append([start] + [centre[k] for k in route[1:-1]] + [end])
    if len(arrows) <= _MAX_ARROWHEADS:
        for points in arrows:
            ax.add_artist(FancyArrowPatch(path=Path(points), arrowstyle="-|>", mutation_scale=10 * scale,
                                          lw=0.8 * scale, color="#555555", zorder=1))
    else:  # thousands of arrows: plain lines in one collection draw in a fraction of the time
        ax.add_collection(LineCollection(arrows, colors="#555555", linewidths=0.8 * scale, zorder=1), autolim=False)

    shapes, fills = [], []
    for k, lines in text.items():
        (x, y), (w, h) = centre[k], size[k]
        if k in picture.ops:
            shapes.append(Ellipse((x, y), w, h))
            fills.append(_FILL["op"])
        else:
            shapes.append(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.05"))
            fills.append(_FILL[picture.tensors[k].role])
        if font >= 1:  # below 1 pt the text is unreadable anyway; skipping it keeps huge graphs fast
            ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=font, family="monospace", zorder=3)
    ax.add_collection(PatchCollection(shapes, facecolors=fills, edgecolors="#333333", linewidths=0.8 * scale,
                                      zorder=2), autolim=False)
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def _coordinates(place: dict, size: dict, horizontal: bool) -> tuple[dict, tuple]:
    """Node centres and the (width, height) of the drawing, in inches at the base font size.

    Each layer is as deep as its biggest node (widths when layers run left to right, heights
    when they run top to bottom); rows are evenly spaced across. The drawing spans x in
    [0, width] and y in [-height, 0].
    """
    along = 0 if horizontal else 1  # which of (width, height) lies along the layer axis
    gap_along, gap_across = (_GAP_X, _GAP_Y) if horizontal else (_GAP_Y, _GAP_X)
    depth = [0.0] * (1 + max(layer for layer, _ in place.values()))
    for k, (layer, _) in place.items():
        depth[layer] = max(depth[layer], size[k][along])
    layer_start = np.cumsum([0.0] + [d + gap_along for d in depth])
    step = max(s[1 - along] for s in size.values()) + gap_across
    rows = max(abs(r) for _, r in place.values())
    length, breadth = layer_start[-1], (2 * rows + 1) * step
    centre = {}
    for k, (layer, r) in place.items():
        a = gap_along / 2 + layer_start[layer] + depth[layer] / 2  # position along the layers
        c = breadth / 2 + r * step                                  # position across them
        centre[k] = (a, -c) if horizontal else (c, -a)
    return centre, ((length, breadth) if horizontal else (breadth, length))
