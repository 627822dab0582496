"""tinynn.onnx.export's contract: file targets, names, opset, dynamic axes, errors, verbose, describe."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest

import tinynn
from tinynn import nn

from .helpers import assert_exports, onnx, randn, run_runtime


def _mlp():
    tinynn.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2)).eval()


def test_file_path_loads_with_the_requested_opset_and_passes_the_checker(tmp_path):
    path = tmp_path / "mlp.onnx"
    assert tinynn.onnx.export(_mlp(), randn(3, 4), str(path), opset_version=15) is None
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [15]
    assert model.producer_name == "tinynn"


def test_binary_file_object_target_and_none_returns_the_model():
    buffer = io.BytesIO()
    model = _mlp()
    tinynn.onnx.export(model, (randn(3, 4),), buffer)
    proto = tinynn.onnx.export(model, (randn(3, 4),), None)
    assert onnx.load_from_string(buffer.getvalue()).graph.node[0].op_type == proto.graph.node[0].op_type == "Gemm"
    with pytest.raises(TypeError, match="binary file object"):
        tinynn.onnx.export(model, (randn(3, 4),), io.StringIO())


def test_initializers_are_named_by_state_dict_keys():
    model = _mlp()
    proto = tinynn.onnx.export(model, (randn(3, 4),), None)
    names = {i.name for i in proto.graph.initializer}
    state = {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    assert names == state
    for init in proto.graph.initializer:
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(init), model.state_dict()[init.name].numpy())


def test_input_and_output_names_and_dynamic_axes_run_at_other_sizes():
    model = _mlp()
    proto = assert_exports("MLP + BatchNorm1d + Tanh, dynamic batch", model, (randn(3, 4),),
                           more=[randn(1, 4, seed=1), randn(17, 4, seed=2)], input_names=["features"],
                           output_names=["scores"], dynamic_axes={"features": {0: "batch"}, "scores": [0]})
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["scores"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 4
    out_dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert out_dims[0].dim_param == "scores_dynamic_axes_1"


def test_without_dynamic_axes_the_shapes_are_fixed():
    proto = tinynn.onnx.export(_mlp(), (randn(3, 4),), None)
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [3, 4]
    with pytest.raises(Exception):   # ONNX Runtime refuses another batch size
        run_runtime(proto.SerializeToString(), ["input"], (randn(5, 4),))


class CumulativeHead(nn.Module):
    def forward(self, x):
        return x.cumsum(-1)


def test_unexportable_op_error_names_the_op_and_the_module():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), CumulativeHead())).eval()
    with pytest.raises(tinynn.onnx.ExportError, match=r"op Cumsum in module '1\.1' \(CumulativeHead\)"):
        tinynn.onnx.export(model, (randn(2, 3),), None)


class Leaky(nn.Module):
    """Computes a mask with raw NumPy: the tracer cannot see it, the second trace catches it."""

    def forward(self, x):
        return x * tinynn.tensor((x.numpy() > 0).astype(np.float32))


def test_tensor_computed_outside_the_ops_is_refused():
    with pytest.raises(tinynn.onnx.ExportError, match=r"op Mul in the model's own forward \(Leaky\).*outside"):
        tinynn.onnx.export(Leaky().eval(), (randn(4, 7),), None)


def test_failed_export_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old contents")
    with pytest.raises(tinynn.onnx.ExportError):
        tinynn.onnx.export(nn.Sequential(CumulativeHead()).eval(), (randn(2, 3),), str(path))
    assert path.read_bytes() == b"old contents"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        tinynn.onnx.export(_mlp(), (randn(2, 4),), str(path))
    assert path.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]   # the temporary file is gone


def test_verbose_prints_the_graph_and_describe_reads_a_file(tmp_path, capsys):
    path = tmp_path / "m.onnx"
    tinynn.onnx.export(_mlp(), (randn(3, 4),), str(path), verbose=True, input_names=["x"],
                       dynamic_axes={"x": {0: "batch"}})
    printed = capsys.readouterr().out
    assert "Gemm" in printed and "BatchNormalization" in printed and "Tanh" in printed
    assert "x: float32[batch, 4]" in printed and "0.weight: float32[8, 4]" in printed
    assert "epsilon=1e-05" in printed
    text = tinynn.onnx.describe(str(path))
    assert text.splitlines()[0].startswith("graph Sequential (opset 17): 1 inputs, 1 outputs, 8 initializers")


def test_is_in_onnx_export_is_true_only_while_exporting():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(tinynn.onnx.is_in_onnx_export())
            return x + 1

    tinynn.onnx.export(Probe().eval(), (randn(2),), None)
    assert seen and all(seen) and not tinynn.onnx.is_in_onnx_export()


def test_keyword_arguments_as_trailing_dict_and_kwargs():
    class Scale(nn.Module):
        def forward(self, x, scale=None):
            return x * scale

    model = Scale().eval()
    a = tinynn.onnx.export(model, (randn(2, 3), {"scale": randn(3, seed=1)}), None)
    b = tinynn.onnx.export(model, (randn(2, 3),), None, kwargs={"scale": randn(3, seed=1)})
    assert [i.name for i in a.graph.input] == [i.name for i in b.graph.input] == ["x", "scale"]


def test_training_mode_warns_and_options_are_checked():
    model = _mlp().train()
    with pytest.warns(UserWarning, match="training mode"):
        tinynn.onnx.export(model, (randn(4, 4),), None)
    assert model.training
    with pytest.raises(ValueError, match="dynamic_shapes is not supported"):
        tinynn.onnx.export(model.eval(), (randn(2, 4),), None, dynamic_shapes={"x": {0: "b"}})
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        tinynn.onnx.export(model, (randn(2, 4),), None, colour=1)
    with pytest.raises(ValueError, match="opset_version"):
        tinynn.onnx.export(model, (randn(2, 4),), None, opset_version=7)
    with pytest.raises(ValueError, match="neither an input nor an output"):
        tinynn.onnx.export(model, (randn(2, 4),), None, dynamic_axes={"nope": [0]})


def test_constant_folding_and_export_params_options():
    class Folded(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(randn(3, 3))

        def forward(self, x):
            return x @ (self.w.T * 2)   # depends on the parameter only: folded into one initializer

    model = Folded().eval()
    folded = tinynn.onnx.export(model, (randn(2, 3),), None)
    unfolded = tinynn.onnx.export(model, (randn(2, 3),), None, do_constant_folding=False)
    assert [n.op_type for n in folded.graph.node] == ["MatMul"]
    assert [n.op_type for n in unfolded.graph.node] == ["Transpose", "Mul", "MatMul"]
    as_inputs = tinynn.onnx.export(model, (randn(2, 3),), None, do_constant_folding=False, export_params=False)
    assert [i.name for i in as_inputs.graph.input] == ["x", "w"]
    assert "w" not in {i.name for i in as_inputs.graph.initializer}
    for proto in (folded, unfolded):
        x = randn(2, 3, seed=4)
        got = run_runtime(proto.SerializeToString(), ["x"], (x,))[0]
        np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-6)


def test_verify_option_runs_onnx_runtime(tmp_path):
    tinynn.onnx.export(_mlp(), (randn(3, 4),), str(tmp_path / "v.onnx"), verify=True)
