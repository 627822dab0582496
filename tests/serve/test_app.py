"""tinynn.serve over real HTTP: a server process per model on 127.0.0.1, requests from http.client.
Correct requests get the model's own outputs; every bad request gets its 4xx with a message."""
import json

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import tinynn  # noqa: E402
from tinynn import deploy  # noqa: E402
from tinynn.models import GPT, GPTConfig  # noqa: E402
from tests.serve.models import MLP  # noqa: E402
from tests.serve.server import Server  # noqa: E402

MAX_BATCH, MAX_BODY = 8, 20_000
JSON = {"Content-Type": "application/json"}


def mlp_outputs(model, inputs) -> np.ndarray:
    with tinynn.no_grad():
        return model(tinynn.tensor(np.asarray(inputs, dtype=np.float32))).numpy()


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mlp")
    tinynn.manual_seed(3)
    model = MLP().eval()
    path = directory / "mlp.pt"
    deploy.save(model, path, config={"in_features": 4, "hidden": 8, "out_features": 3}, metrics={"accuracy": 0.9},
                input_shape=[4])
    server = Server(path, directory / "server.log", "--trust-model-class", "--max-batch", str(MAX_BATCH),
                    "--max-body-bytes", str(MAX_BODY), "--no-access-log")
    yield model, path, server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def gpt(tmp_path_factory):
    directory = tmp_path_factory.mktemp("gpt")
    tinynn.manual_seed(4)
    model = GPT(GPTConfig(block_size=8, vocab_size=11, n_layer=1, n_head=2, n_embd=8)).eval()
    path = directory / "gpt.pt"
    deploy.save(model, path, input_shape=[None], input_dtype="int64")
    server = Server(path, directory / "server.log", "--no-access-log")
    yield model, server
    assert server.stop() == 0


# ---------------------------------------------------------------------- correct requests
def test_health_and_metadata(mlp):
    model, path, server = mlp
    status, health = server.request("GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["ready"] is True and health["model"] == "MLP"
    status, meta = server.request("GET", "/metadata")
    assert status == 200 and meta["kind"] == "tinynn" and meta["model"] == "MLP"
    assert meta["input"] == {"shape": [4], "dtype": "float32", "max_batch": MAX_BATCH, "max_body_bytes": MAX_BODY,
                             "expects": meta["input"]["expects"]}
    saved = deploy.metadata(path)
    checkpoint = meta["checkpoint"]
    assert checkpoint["weights_sha256"] == saved["weights_sha256"] == deploy.weights_sha256(model.state_dict())
    assert checkpoint["model_class"] == {"module": "tests.serve.models", "qualname": "MLP"}
    assert checkpoint["config"] == {"in_features": 4, "hidden": 8, "out_features": 3}
    assert checkpoint["metrics"] == {"accuracy": 0.9}
    assert checkpoint["tinynn_version"] == tinynn.__version__ and checkpoint["format_version"] == 1


def test_a_batch_gets_the_models_own_outputs(mlp):
    model, _, server = mlp
    inputs = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32).tolist()
    status, answer = server.predict({"inputs": inputs})
    assert status == 200, answer
    assert answer["batch_size"] == 5 and answer["output_shape"] == [5, 3] and answer["model"] == "MLP"
    np.testing.assert_array_equal(np.array(answer["outputs"], dtype=np.float32), mlp_outputs(model, inputs))


def test_one_input_alone_gets_one_output(mlp):
    model, _, server = mlp
    status, answer = server.predict({"inputs": [1, 2, 3.5, -4]})  # ints are numbers too
    assert status == 200 and answer["batch_size"] == 1 and answer["output_shape"] == [3]
    expected = mlp_outputs(model, [[1, 2, 3.5, -4]])[0]
    np.testing.assert_array_equal(np.array(answer["outputs"], dtype=np.float32), expected)


def test_gpt_takes_token_ids_of_any_length(gpt):
    model, server = gpt
    for inputs in ([[1, 2, 3], [4, 5, 10]], [[0, 1, 2, 3, 4, 5, 6, 7]]):
        status, answer = server.predict({"inputs": inputs})
        assert status == 200, answer
        with tinynn.no_grad():
            expected = model(tinynn.tensor(inputs))[0].numpy()
        np.testing.assert_array_equal(np.array(answer["outputs"], dtype=np.float32), expected)
    status, answer = server.predict({"inputs": [5, 6]})  # one sequence alone
    assert status == 200 and answer["output_shape"] == [2, 11]


# ---------------------------------------------------------------------- bad requests
def body(obj) -> bytes:
    return json.dumps(obj).encode()


BAD_REQUESTS = {
    # name: (body, headers, status, words in the message)
    "malformed JSON": (b'{"inputs": [[1, 2,', JSON, 400, "not valid JSON"),
    "not UTF-8": (b'{"inputs": "\xff\xfe"}', JSON, 400, "not valid JSON"),
    "empty body": (b"", JSON, 400, "empty"),
    "NaN": (b'{"inputs": [[NaN, 1, 2, 3]]}', JSON, 400, "NaN is not a JSON number"),
    "Infinity": (b'{"inputs": [[1, 2, 3, -Infinity]]}', JSON, 400, "-Infinity is not a JSON number"),
    "overflowing float32": (body({"inputs": [[1, 2, 3, 1e39]]}), JSON, 422, "overflows the model's input dtype"),
    "overflowing double": (b'{"inputs": [[1, 2, 3, 1e999]]}', JSON, 422, "overflows"),
    "huge integer": (body({"inputs": [[1, 2, 3, 10 ** 400]]}), JSON, 422, "overflows"),
    "not an object": (body([[1, 2, 3, 4]]), JSON, 422, 'JSON object with the key "inputs"'),
    "missing key": (body({"input": [[1, 2, 3, 4]]}), JSON, 422, "unknown keys ['input']"),
    "extra key": (body({"inputs": [[1, 2, 3, 4]], "id": 3}), JSON, 422, "unknown keys ['id']"),
    "no keys": (body({}), JSON, 422, 'no key "inputs"'),
    "string": (body({"inputs": [[1, 2, "3", 4]]}), JSON, 422, "inputs[0][2] is a JSON string"),
    "bool": (body({"inputs": [[1, 2, True, 4]]}), JSON, 422, "inputs[0][2] is a JSON true"),
    "null": (body({"inputs": [[1, None, 3, 4]]}), JSON, 422, "inputs[0][1] is a JSON null"),
    "object inside": (body({"inputs": [[1, 2, 3, {"x": 4}]]}), JSON, 422, "inputs[0][3] is a JSON object"),
    "inputs a string": (body({"inputs": "1,2,3,4"}), JSON, 422, "is a JSON string"),
    "ragged": (body({"inputs": [[1, 2, 3, 4], [1, 2, 3]]}), JSON, 422, "ragged inputs: inputs[0] has shape (4,)"),
    "ragged deeper": (body({"inputs": [[1, 2, 3, 4], [1, [2], 3, 4]]}), JSON, 422, "inputs[1]"),
    "wrong size": (body({"inputs": [[1, 2, 3]]}), JSON, 422, "dimension 0 has size 3"),
    "too many dimensions": (body({"inputs": [[[1, 2, 3, 4]]]}), JSON, 422, "3 dimensions; expected 2"),
    "a scalar": (body({"inputs": 3.0}), JSON, 422, "0 dimensions"),
    "empty batch": (body({"inputs": []}), JSON, 422, "the batch is empty"),
    "empty input": (body({"inputs": [[]]}), JSON, 422, "size 0"),
    "batch over max_batch": (body({"inputs": [[1, 2, 3, 4]] * (MAX_BATCH + 1)}), JSON, 422,
                             f"takes at most {MAX_BATCH} per request"),
    "text/plain": (body({"inputs": [[1, 2, 3, 4]]}), {"Content-Type": "text/plain"}, 415, "Content-Type"),
    "no content type": (body({"inputs": [[1, 2, 3, 4]]}), {}, 415, "Content-Type"),
    "body over the limit": (body({"inputs": [[1.0, 2.0, 3.0, 4.0]] * 2000}), JSON, 413, "larger than"),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_every_bad_request_gets_its_4xx_with_a_message(mlp, name):
    payload, headers, status, words = BAD_REQUESTS[name]
    got_status, answer = mlp[2].request("POST", "/predict", payload, headers)
    assert got_status == status, answer
    assert isinstance(answer, dict) and words in answer["detail"], answer
    assert answer["expected"] and answer["got"]


def test_a_declared_length_over_the_limit_is_refused_before_the_body(mlp):
    """Content-Length says 1 GB and no body follows: refused from the header alone."""
    server = mlp[2]
    status, answer = server.request("POST", "/predict", None, {**JSON, "Content-Length": str(10 ** 9)}, timeout=10)
    assert status == 413 and "1000000000 bytes (Content-Length)" in answer["got"]


def test_a_chunked_body_over_the_limit_is_refused_while_reading(mlp):
    """No Content-Length (chunked transfer): the body is counted as it arrives."""
    server = mlp[2]
    chunks = iter([b'{"inputs": [', b"[1.0, 2.0, 3.0, 4.0], " * 1500, b"[1, 2, 3, 4]]}"])
    status, answer = server.request("POST", "/predict", chunks, JSON)  # http.client sends an iterator chunked
    assert status == 413 and "counted while reading" in answer["got"]


def test_other_methods_and_paths_answer_json(mlp):
    server = mlp[2]
    assert server.request("GET", "/predict") == (405, {"detail": "Method Not Allowed"})
    assert server.request("GET", "/nothing") == (404, {"detail": "Not Found"})


def test_bad_gpt_requests(gpt):
    server = gpt[1]
    cases = [({"inputs": [[1, 2.5]]}, "inputs[0][1] is 2.5"),
             ({"inputs": [list(range(9))]}, "block size is only 8"),
             ({"inputs": [[1, 2 ** 63]]}, "does not fit the model's input dtype int64"),
             ({"inputs": [[1, 2], [3]]}, "ragged")]
    for payload, words in cases:
        status, answer = server.predict(payload)
        assert status == 422 and words in answer["detail"], answer


def test_no_bad_request_reached_the_internal_error_handler(mlp, gpt):
    """Runs after the bad requests above (pytest keeps file order): none became a 500."""
    for server in (mlp[2], gpt[1]):
        status, health = server.request("GET", "/health")
        assert status == 200 and health["internal_errors"] == 0 and health["client_errors"] > 0
        assert "Traceback" not in server.log()
