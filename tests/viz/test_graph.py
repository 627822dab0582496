"""tinynn.viz: DOT text and matplotlib drawings of the graph behind a tensor."""
import re
import shutil
import subprocess
from collections import Counter

import pytest

import tinynn
from tinynn.viz import draw_graph, extract_graph, layered_layout, to_dot

NODE = re.compile(r'^  (\w+) \[shape=(\w+), .*label="((?:\\.|[^"\\])*)"\];$')
EDGE = re.compile(r"^  (\w+) -> (\w+);$")


def parse_dot(text: str):
    """({node_id: (shape, label)}, [(source, target)]), checking the text's structure on the way."""
    body = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)  # quoted strings hold no structure
    assert body.count("{") == body.count("}") == 1
    lines = text.strip().splitlines()
    assert lines[0] == "digraph tinynn {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = (m.group(2), m.group(3))
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            assert line.strip() in ("rankdir=LR;", 'node [fontname="Helvetica", fontsize=10];'), line
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} refers to an undeclared node"
    return nodes, edges


def readable_edges(text: str) -> Counter:
    """Edges named for people: ops by name, tensors by their title or as 'Op()' for Op's output."""
    nodes, edges = parse_dot(text)
    producer = {b: nodes[a][1] for a, b in edges if nodes[a][0] == "ellipse"}

    def name(key):
        shape, label = nodes[key]
        if shape == "ellipse":
            return label
        title = label.split(" | ")[0]
        return title.split(" (")[0] if not title.startswith("(") else f"{producer[key]}()"

    return Counter((name(a), name(b)) for a, b in edges)


def leaves(*values):
    return [tinynn.tensor(v, requires_grad=True) for v in values]


def test_small_expression_lists_exactly_its_ops_and_edges():
    a, b, c = leaves([1.0, 2.0], [3.0, 4.0], [0.5, 0.5])
    L = ((a * b) + c).tanh().sum()
    text = to_dot(L, names={a: "a", b: "b", c: "c", L: "L"})
    nodes, _ = parse_dot(text)
    assert sorted(label for shape, label in nodes.values() if shape == "ellipse") == ["Add", "Mul", "Sum", "Tanh"]
    assert sum(shape == "record" for shape, _ in nodes.values()) == 7  # a, b, c, 3 results, L
    assert readable_edges(text) == Counter([
        ("a", "Mul"), ("b", "Mul"), ("Mul", "Mul()"), ("Mul()", "Add"), ("c", "Add"), ("Add", "Add()"),
        ("Add()", "Tanh"), ("Tanh", "Tanh()"), ("Tanh()", "Sum"), ("Sum", "L"),
    ])
    assert nodes["t0"][1].startswith("L (output) | () float32")


def test_shared_subexpression_appears_once():
    a, b = leaves([1.0, 2.0], [3.0, 4.0])
    s = a * b
    L = (s * s + s.tanh()).sum()  # s feeds three inputs of two ops
    text = to_dot(L, names={a: "a", b: "b"})
    nodes, edges = parse_dot(text)
    ops = Counter(label for shape, label in nodes.values() if shape == "ellipse")
    assert ops == Counter({"Mul": 2, "Tanh": 1, "Add": 1, "Sum": 1})
    edges_named = readable_edges(text)
    assert edges_named[("Mul()", "Mul")] == 2  # s * s: two edges from the one box of s
    assert edges_named[("Mul()", "Tanh")] == 1
    assert edges_named[("a", "Mul")] == 1 and edges_named[("b", "Mul")] == 1
    assert len(edges) == 13


def test_values_and_grads_appear_after_backward():
    a, b = leaves([1.0, 2.0], [3.0, 4.0])
    L = (a * b).sum()
    before = parse_dot(to_dot(L, names={a: "a", b: "b"}))[0]
    assert "a (leaf) | (2,) float32 | data [1., 2.]" in [label for _, label in before.values()]
    assert not any("grad" in label for _, label in before.values())
    L.backward()
    after = [label for _, label in parse_dot(to_dot(L, names={a: "a", b: "b"}))[0].values()]
    assert "a (leaf) | (2,) float32 | data [1., 2.] | grad [3., 4.]" in after
    assert "b (leaf) | (2,) float32 | data [3., 4.] | grad [1., 2.]" in after
    assert "output | () float32 | data 11." in after
    hidden = parse_dot(to_dot(L, show_values=False))[0]
    assert not any("data" in label or "grad" in label for _, label in hidden.values())


def test_large_tensors_show_shape_only_and_intermediates_only_what_backward_saved():
    w = tinynn.ones(5, requires_grad=True)
    y = w.tanh()  # tanh saves its output for backward, so the graph still holds its numbers
    L = (y * 2.0).sum()
    labels = [label for _, label in parse_dot(to_dot(L, max_elements=5))[0].values()]
    assert "leaf | (5,) float32 | data [1., 1., 1., 1., 1.]" in labels
    assert "(5,) float32 | data [0.7616, 0.7616, 0.7616, 0.7616, 0.7616]" in labels
    labels = [label for _, label in parse_dot(to_dot(L, max_elements=4))[0].values()]
    assert "leaf | (5,) float32" in labels and "(5,) float32" in labels


def test_inputs_without_grad_have_no_edge_and_a_leaf_root_is_one_box():
    (a,) = leaves([1.0, 2.0])
    L = (a * tinynn.tensor([5.0, 6.0])).sum()
    assert readable_edges(to_dot(L, names={a: "a"})) == Counter(
        [("a", "Mul"), ("Mul", "Mul()"), ("Mul()", "Sum"), ("Sum", "output")])
    nodes, edges = parse_dot(to_dot(a))
    assert list(nodes.values()) == [("record", "output | (2,) float32 | data [1., 2.]")] and edges == []


def test_multi_output_op_is_one_node_with_two_result_boxes():
    (a,) = leaves([1.0, 2.0, 3.0, 4.0])
    q, r = a.chunk(2)
    text = to_dot((q * r).sum())
    nodes, edges = parse_dot(text)
    split = [k for k, (shape, label) in nodes.items() if shape == "ellipse" and label == "Split"]
    assert len(split) == 1
    outputs = [nodes[b][1] for a_, b in edges if a_ == split[0]]
    assert sorted(outputs) == ["(2,) float32 | data [1., 2.]", "(2,) float32 | data [3., 4.]"]


def test_names_from_pairs_or_a_name_to_tensor_dict():
    W, bias = leaves([[1.0]], [0.0])
    L = (W.sum() + bias).sum()
    for names in ({"W1": W, "b1": bias}, [("W1", W), ("b1", bias)]):
        titles = {label.split(" | ")[0] for _, label in parse_dot(to_dot(L, names=names))[0].values()}
        assert {"W1 (leaf)", "b1 (leaf)"} <= titles
    with pytest.raises(TypeError, match="names"):
        to_dot(L, names={"W1": 3})


def test_record_labels_are_escaped():
    (a,) = leaves([1.0])
    text = to_dot((a * 2.0).sum(), names={a: 'W{1}|<x> "q" \\ end'})
    labels = [label for _, label in parse_dot(text)[0].values()]
    assert r'W\{1\}\|\<x\> \"q\" \\ end (leaf) | (1,) float32 | data [1.]' in labels


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_accepts_the_text():
    a, b, c = leaves([1.0, 2.0], [3.0, 4.0], [0.5, 0.5])
    L = ((a * b) + c).tanh().sum()
    L.backward(retain_graph=True)
    text = to_dot(L, names={a: 'a{1}|<x> "q" \\', b: "b", c: "c"})
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "Tanh" in done.stdout and "a{1}|&lt;x&gt;" in done.stdout


def test_a_10000_op_chain_needs_no_recursion():
    (x,) = leaves([0.5])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    nodes, edges = parse_dot(to_dot(y))
    assert Counter(shape for shape, _ in nodes.values()) == {"record": 10_001, "ellipse": 10_000}
    assert len(edges) == 20_000
    place, routes = layered_layout(list(nodes), edges)
    assert sorted(layer for layer, _ in place.values()) == list(range(20_001))


def count_crossings(place, links):
    crossings = 0
    for i, (a, b) in enumerate(links):
        for c, d in links[i + 1:]:
            if place[a][0] == place[c][0] and place[b][0] == place[d][0]:
                crossings += (place[a][1] - place[c][1]) * (place[b][1] - place[d][1]) < 0
    return crossings


def test_layout_layers_waypoints_and_crossings():
    keys = ["x1", "x2", "f", "g", "y2", "y1", "late", "h", "out"]
    edges = [("x1", "f"), ("x2", "g"), ("f", "y1"), ("g", "y2"), ("y1", "h"), ("y2", "h"), ("late", "h"),
             ("x1", "out"), ("h", "out")]
    place, routes = layered_layout(keys, edges)
    layer = {k: place[k][0] for k in keys}
    assert layer == {"x1": 0, "x2": 0, "f": 1, "g": 1, "y1": 2, "y2": 2, "late": 2, "h": 3, "out": 4}
    assert all(layer[a] < layer[b] for a, b in edges)
    assert routes[7] == ["x1", ("via", 7, 1), ("via", 7, 2), ("via", 7, 3), "out"]  # the long edge x1 -> out
    links = [pair for route in routes for pair in zip(route, route[1:])]
    assert count_crossings(place, links) == 0
    for members in ({k for k in place if place[k][0] == depth} for depth in range(5)):
        rows = sorted(place[k][1] for k in members)
        assert rows == [i - (len(rows) - 1) / 2 for i in range(len(rows))]  # centred, one apart


def mlp_loss():
    tinynn.manual_seed(0)
    x, y = tinynn.randn(8, 3), tinynn.randn(8, 1)
    W1, b1 = tinynn.randn(3, 16, requires_grad=True), tinynn.zeros(16, requires_grad=True)
    W2, b2 = tinynn.randn(16, 1, requires_grad=True), tinynn.zeros(1, requires_grad=True)
    h = (x @ W1 + b1).relu()
    h = h + h.tanh()
    loss = ((h @ W2 + b2 - y) ** 2).mean()
    loss.backward()
    return loss, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def test_draw_graph_returns_a_figure_and_writes_a_png(tmp_path):
    from matplotlib.figure import Figure

    loss, names = mlp_loss()
    path = tmp_path / "graph.png"
    fig = draw_graph(loss, path=path, names=names)
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture = extract_graph(loss, names)
    texts = sorted(t.get_text().split("\n")[0] for t in fig.axes[0].texts)
    assert len(texts) == len(picture.tensors) + len(picture.ops) == 26
    assert {"W1 (leaf)", "b2 (leaf)", "Matmul", "Relu", "output"} <= set(texts)


def test_draw_graph_into_given_axes_and_on_a_big_graph(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    a, b = leaves([1.0, 2.0], [3.0, 4.0])
    assert draw_graph((a * b).sum(), ax=ax) is fig
    assert len(ax.texts) == 6 and len(ax.collections) == 1
    (x,) = leaves([0.5])
    y = x
    for _ in range(400):  # 800 edges: drawn as plain lines, text too small to draw is left out
        y = (y * 1.01).tanh()
    path = tmp_path / "big.png"
    big = draw_graph(y, path=path)
    assert path.stat().st_size > 0
    w, h = big.get_size_inches()
    assert w <= 24 and h <= 16
    assert len(big.axes[0].collections) == 2  # lines and shapes


def test_draw_graph_of_a_leaf_and_of_values_in_boxes():
    (a,) = leaves([1.0, 2.0])
    fig = draw_graph(a)
    assert [t.get_text() for t in fig.axes[0].texts] == ["output\n(2,) float32\ndata [1., 2.]"]
