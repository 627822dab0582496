"""From two recordings of a model to an ONNX ModelProto (the steps of ``export`` after tracing).

1. graph inputs, then every parameter and buffer (an initializer named by its state_dict key);
2. the calls the outputs depend on, in order: folded into initializers when every input is a
   constant (``do_constant_folding``), else written by the op's converter;
3. graph outputs, with dynamic sizes named (``dynamic_axes``), and the model around the graph.
"""
from __future__ import annotations

import numpy as np

from .builder import ExportError, GraphBuilder, arrays_in, same_array
from .context import Emit, converter_for
from .trace import Recording
from . import convert_math, convert_nn, convert_recurrent, convert_shape

CONVERTER_MODULES = (convert_math, convert_nn, convert_recurrent, convert_shape)  # imported to fill the table


def needed_calls(rec: Recording) -> list:
    """Which calls the outputs depend on (ops whose results are not used are left out)."""
    wanted = {id(a) for a in rec.outputs}
    keep = [False] * len(rec.calls)
    for i in range(len(rec.calls) - 1, -1, -1):
        call = rec.calls[i]
        if any(id(o) in wanted for o in call.outputs):
            keep[i] = True
            wanted.update(id(a) for a in arrays_in(call.args) + arrays_in(call.kwargs))
    return keep


def _check_same_ops(rec: Recording, rec2: Recording) -> None:
    if len(rec.calls) != len(rec2.calls) or any(a.op != b.op for a, b in zip(rec.calls, rec2.calls)):
        for a, b in zip(rec.calls, rec2.calls):
            if a.op != b.op:
                raise ExportError(f"the model ran different ops on the second trace ({a.where()} became {b.where()}): "
                                  "its ops depend on the input's values or sizes (data-dependent control flow), "
                                  "so one graph cannot represent it")
        raise ExportError(f"the model ran {len(rec.calls)} ops on its inputs but {len(rec2.calls)} on the second "
                          "trace: its ops depend on the input's values or sizes (data-dependent control flow)")


def convert(builder: GraphBuilder, rec: Recording, rec2: Recording) -> None:
    """Add every needed call of ``rec`` to the builder (``rec2``: the second run, call for call)."""
    _check_same_ops(rec, rec2)
    for call, call2, needed in zip(rec.calls, rec2.calls, needed_calls(rec)):
        if not needed:
            continue
        if builder.fold and _foldable(builder, call, call2):
            builder.add_folded(call.outputs, call2.outputs, _folded_name(call))
            continue
        converter = converter_for(call.op)
        if converter is None:
            raise ExportError(f"{call.where()} cannot be exported to ONNX: tinynn.onnx has no converter for "
                              f"{call.op_name} (see tinynn/onnx/convert_*.py for the ops it knows)")
        names = converter(Emit(builder, call, call2))
        builder.add_outputs(call, call.outputs, call2.outputs, list(names) + [None] * (len(call.outputs) - len(names)))


def _foldable(builder: GraphBuilder, call, call2) -> bool:
    """All inputs constant, and the results the same on both runs."""
    for a in arrays_in(call.args) + arrays_in(call.kwargs):
        value = builder.values.get(id(a))
        if value is not None and not value.const:
            return False
    return all(same_array(a, b) for a, b in zip(call.outputs, call2.outputs))


def _folded_name(call) -> str:
    path = call.module_path + "." if call.module_path else ""
    return f"{path}folded_{call.op_name}"


def build_model(model, rec: Recording, rec2: Recording, *, input_names, output_names, dynamic_axes: dict,
                opset: int, fold: bool, export_params: bool, keep_initializers_as_inputs: bool):
    from onnx import helper

    builder = GraphBuilder(opset, fold)
    for name, a, b in zip(input_names, rec.inputs, rec2.inputs):
        builder.add_input(name, a, b)
    state = model.state_dict(keep_vars=True) if _takes_keep_vars(model) else model.state_dict()
    for name, tensor in state.items():
        builder.add_state(name, tensor._data, as_input=not export_params)
    convert(builder, rec, rec2)

    sizes = {(a.shape[axis], b.shape[axis]): axis_name for name, a, b in zip(input_names, rec.inputs, rec2.inputs)
             for axis, axis_name in dynamic_axes.get(name, {}).items()}
    renamed, outputs = {}, []
    for name, a, b in zip(output_names, rec.outputs, rec2.outputs):
        value = builder.lookup(a, b, _OutputCall)
        source = builder.name_of(value)
        if source in renamed or source in input_names or not _made_by_node(builder, source):
            builder.nodes.append(helper.make_node("Identity", [source], [name], name=builder.unique(f"/{name}/Identity")))
        else:
            renamed[source] = name
        outputs.append(helper.make_tensor_value_info(name, _elem(a), _shape(a, b, name, dynamic_axes, sizes)))
    for node in builder.nodes:
        node.input[:] = [renamed.get(n, n) for n in node.input]
        node.output[:] = [renamed.get(n, n) for n in node.output]

    inputs = [helper.make_tensor_value_info(n, _elem(a), _shape(a, b, n, dynamic_axes, sizes))
              for n, a, b in zip(input_names, rec.inputs, rec2.inputs)]
    used = {n for node in builder.nodes for n in node.input}
    if not export_params:   # the parameters the graph reads become inputs, fed at run time
        inputs += [helper.make_tensor_value_info(n, _elem(t._data), t.shape) for n, t in state.items()
                   if n in used and n not in {i.name for i in inputs}]
    if keep_initializers_as_inputs:
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in builder.initializers]
    graph = helper.make_graph(builder.nodes, type(model).__name__, inputs, outputs, builder.initializers)
    from .. import __version__

    return helper.make_model_gen_version(graph, opset_imports=[helper.make_opsetid("", opset)],
                                         producer_name="tinynn", producer_version=str(__version__))


class _OutputCall:
    """Stands in for a call in messages about the model's outputs."""

    @staticmethod
    def where() -> str:
        return "the model's output"


def _takes_keep_vars(model) -> bool:
    import inspect

    return "keep_vars" in inspect.signature(model.state_dict).parameters


def _made_by_node(builder: GraphBuilder, name: str) -> bool:
    return any(name in node.output for node in builder.nodes)


def _elem(array) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(array.dtype))


def _shape(a, b, name: str, dynamic_axes: dict, sizes: dict) -> list:
    """Each dim: its size, or a name where it changes with the dynamic axes."""
    named = dynamic_axes.get(name, {})
    dims = []
    for axis, (s1, s2) in enumerate(zip(a.shape, b.shape)):
        if axis in named:
            dims.append(named[axis])
        elif s1 != s2:
            dims.append(sizes.get((s1, s2), f"{name}_dynamic_axes_{axis + 1}"))
        else:
            dims.append(int(s1))
    return dims
