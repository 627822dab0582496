"""A server stopped with SIGTERM or SIGINT finishes the request in flight and exits with 0; a load test
of 1,000 requests from 8 clients loses none and gets every answer right."""
import signal
import threading
import time

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import tinynn  # noqa: E402
from tinynn import deploy  # noqa: E402
from tinynn.serve import load_test  # noqa: E402
from tests.serve.models import MLP, SlowMLP  # noqa: E402
from tests.serve.server import Server  # noqa: E402


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_lets_the_request_in_flight_finish(tmp_path, sig):
    marker = tmp_path / "call-started"
    tinynn.manual_seed(5)
    model = SlowMLP(delay=1.5, marker=str(marker)).eval()
    path = tmp_path / "slow.pt"
    deploy.save(model, path, config={"delay": 1.5, "marker": str(marker)}, input_shape=[4])
    server = Server(path, tmp_path / "server.log", "--trust-model-class")
    inputs = [[0.5, -1.0, 2.0, 0.25]]
    answers = []
    client = threading.Thread(target=lambda: answers.append(server.predict({"inputs": inputs})))
    client.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:  # the model call has started: in flight
        time.sleep(0.02)
    assert marker.exists(), server.log()
    server.process.send_signal(sig)
    client.join(30)
    assert server.process.wait(30) == 0, server.log()
    (status, answer), = answers
    assert status == 200, answer
    with tinynn.no_grad():
        expected = MLP.forward(model, tinynn.tensor(inputs)).numpy()
    np.testing.assert_array_equal(np.array(answer["outputs"], dtype=np.float32), expected)
    assert "Shutting down" in server.log() and "Traceback" not in server.log()


def test_load_test_loses_no_request_and_every_answer_is_right(tmp_path):
    tinynn.manual_seed(6)
    model = MLP().eval()
    path = tmp_path / "mlp.pt"
    deploy.save(model, path, config={"in_features": 4, "hidden": 8, "out_features": 3}, input_shape=[4])
    server = Server(path, tmp_path / "server.log", "--trust-model-class", "--no-access-log")
    try:
        inputs = np.random.default_rng(2).standard_normal((4, 4)).astype(np.float32)
        with tinynn.no_grad():
            expected = model(tinynn.tensor(inputs)).numpy()

        def correct(answer) -> bool:
            return np.array_equal(np.array(answer["outputs"], dtype=np.float32), expected)

        before = server.request("GET", "/health")[1]
        result = load_test(server.url + "/predict", {"inputs": inputs.tolist()}, requests=1000, concurrency=8,
                           check=correct)
        after = server.request("GET", "/health")[1]
    finally:
        assert server.stop() == 0
    print("load test:", result)
    assert result["sent"] == 1000 and result["ok"] == 1000 and result["failed"] == 0 and result["not_sent"] == 0
    assert result["errors"] == {}
    assert after["ok"] - before["ok"] == 1000 and after["internal_errors"] == 0  # the server saw all of them
    latency = result["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert result["throughput_rps"] > 0


def test_load_test_counts_failures_and_wrong_answers(tmp_path):
    """A port nobody listens on: every request fails and is counted by its reason; none hangs."""
    from tests.serve.server import free_port

    result = load_test(f"http://127.0.0.1:{free_port()}/predict", {"inputs": [1]}, requests=20, concurrency=4,
                       timeout=5)
    assert result["sent"] == 20 and result["ok"] == 0 and result["failed"] == 20
    assert result["errors"] == {"ConnectionRefusedError": 20}


def test_load_test_only_targets_this_machine():
    for url in ("http://example.com/predict", "http://10.0.0.1:8000/predict", "https://127.0.0.1/predict"):
        with pytest.raises(ValueError):
            load_test(url, {"inputs": [1]}, requests=1)
