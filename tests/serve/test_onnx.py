"""tinynn.serve with an ONNX file run in ONNX Runtime (the model built here with onnx.helper)."""
import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from tests.serve.server import Server  # noqa: E402


def write_classifier(path) -> None:
    """x (batch, 4) float -> logits = x @ W + b (batch, 3), probs = softmax(logits); outputs probs, logits."""
    rng = np.random.default_rng(7)
    weight = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "W")
    bias = numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "b")
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=1)]
    graph = helper.make_graph(
        nodes, "classifier", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
        initializer=[weight, bias])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tinynn-tests")
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    directory = tmp_path_factory.mktemp("onnx")
    path = directory / "classifier.onnx"
    write_classifier(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    server = Server(path, directory / "server.log", "--max-batch", "16", "--no-access-log")
    yield session, server
    assert server.stop() == 0


def test_onnx_answers_equal_onnx_runtime(classifier):
    session, server = classifier
    inputs = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    status, answer = server.predict({"inputs": inputs.tolist()})
    assert status == 200, answer
    probs, logits = session.run(["probs", "logits"], {"x": inputs})
    assert answer["model"] == "classifier" and answer["output_shape"] == [6, 3]
    np.testing.assert_array_equal(np.array(answer["outputs"], dtype=np.float32), probs)
    np.testing.assert_array_equal(np.array(answer["named_outputs"]["logits"], dtype=np.float32), logits)
    status, one = server.predict({"inputs": inputs[0].tolist()})
    assert status == 200 and one["output_shape"] == [3]
    np.testing.assert_array_equal(np.array(one["outputs"], dtype=np.float32), probs[0])


def test_onnx_metadata(classifier):
    status, meta = classifier[1].request("GET", "/metadata")
    assert status == 200 and meta["kind"] == "onnx"
    assert meta["input"]["shape"] == [4] and meta["input"]["dtype"] == "float32" and meta["input"]["max_batch"] == 16
    info = meta["onnx"]
    assert info["inputs"] == [{"name": "x", "shape": ["batch", 4], "type": "tensor(float)"}]
    assert [o["name"] for o in info["outputs"]] == ["probs", "logits"]
    assert info["opset"] == [{"domain": "ai.onnx", "version": 17}] and info["producer"] == "tinynn-tests"
    assert len(info["sha256"]) == 64


def test_onnx_bad_inputs(classifier):
    server = classifier[1]
    for payload, words in [({"inputs": [[1, 2, 3]]}, "dimension 0 has size 3"),
                           ({"inputs": [["a", 2, 3, 4]]}, "is a JSON string"),
                           ({"inputs": [[1, 2, 3, 4]] * 17}, "at most 16")]:
        status, answer = server.predict(payload)
        assert status == 422 and words in answer["detail"], answer
    status, health = server.request("GET", "/health")
    assert health["internal_errors"] == 0 and health["client_errors"] == 3
