"""Printing an ONNX graph so that a student sees their model as a graph of standard ops.

    graph GPT (opset 17): 3 inputs, 1 output, 28 initializers (52,096 numbers), 61 nodes
    inputs:   idx: int64[batch, seq]
    /transformer/wte/Gather     Gather(transformer.wte.weight: float32[65, 32], idx) -> ... float32[batch, seq, 32]   axis=0
    ...

Shapes come from ONNX's shape inference (names such as ``batch`` are the dynamic axes).
"""
from __future__ import annotations

import numpy as np

__all__ = ["describe", "format_graph"]


def describe(model_or_path, file=None) -> str:
    """Print (and return) the graph of an ONNX file, a binary file object or a ModelProto."""
    import onnx

    model = model_or_path if isinstance(model_or_path, onnx.ModelProto) else onnx.load(model_or_path)
    text = format_graph(model)
    print(text, file=file)
    return text


def format_graph(model) -> str:
    """The graph as text: one line per node, op type, inputs -> outputs with their shapes, attributes."""
    import onnx
    from onnx import helper, shape_inference

    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:  # a graph shape inference cannot follow is still worth printing
        inferred = model
    graph = inferred.graph
    types = {}
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        types[info.name] = _type_text(info.type)
    for init in graph.initializer:
        types[init.name] = f"{helper.tensor_dtype_to_np_dtype(init.data_type)}[{', '.join(map(str, init.dims))}]"
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), "?")
    numbers = sum(int(np.prod(init.dims)) for init in graph.initializer)
    lines = [f"graph {graph.name} (opset {opset}): {len(graph.input)} inputs, {len(graph.output)} outputs, "
             f"{len(graph.initializer)} initializers ({numbers:,} numbers), {len(graph.node)} nodes"]
    lines += [f"input   {i.name}: {types.get(i.name, '?')}" for i in graph.input]
    for node in graph.node:
        ins = ", ".join(_named(n, types) for n in node.input)
        outs = ", ".join(_named(n, types) for n in node.output)
        attrs = "  ".join(f"{a.name}={_attr_text(onnx, a)}" for a in node.attribute)
        lines.append(f"{node.op_type:<18} {node.name}\n    ({ins}) -> {outs}" + (f"\n    {attrs}" if attrs else ""))
    lines += [f"output  {o.name}: {types.get(o.name, '?')}" for o in graph.output]
    return "\n".join(lines)


def _named(name: str, types: dict) -> str:
    if not name:
        return "-"
    return f"{name}: {types[name]}" if name in types else name


def _type_text(tensor_type) -> str:
    from onnx import helper

    t = tensor_type.tensor_type
    dims = ", ".join(d.dim_param if d.dim_param else str(d.dim_value) if d.HasField("dim_value") else "?"
                     for d in t.shape.dim)
    try:
        dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
    except Exception:
        dtype = "?"
    return f"{dtype}[{dims}]"


def _attr_text(onnx, attr) -> str:
    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, onnx.TensorProto):
        array = onnx.numpy_helper.to_array(value)
        return np.array2string(array, threshold=6)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(v.decode() if isinstance(v, bytes) else f"{v:.6g}" if isinstance(v, float) else str(v)
                               for v in value) + "]"
    return str(value)
