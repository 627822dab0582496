"""Lesson 25 (from a trained model to a service) in quick mode: int8 post-training quantization keeps the
accuracy in a file about 3.5 times smaller; the deployment checkpoint loads back exactly and refuses a wrong
config, edited weights and a class it would have to import; ONNX Runtime matches tinynn; the service answers
as the model does, refuses each bad request with its 4xx, loses no request under load and stops cleanly.
Without the extras the lesson skips steps 4 and 5 and says what to install."""
import json
import os
import subprocess
import sys

import pytest

from tests.lessons.helpers import LESSONS, run_lesson

EXTRAS = ("onnx", "onnxruntime", "fastapi", "uvicorn")
BAD_REQUESTS = {"wrong shape: a flat 64-vector": 422, "a NaN pixel": 400, "malformed JSON (cut off)": 400,
                "a string among the pixels": 422, "65 images (the limit is 64)": 422, "form data, not JSON": 415}


def check_model_and_checkpoint(summary):
    assert summary["float_accuracy"] > 0.9
    assert abs(summary["int8_accuracy"] - summary["float_accuracy"]) <= 0.01   # rounding the weights costs ~nothing
    assert summary["prediction_agreement"] >= 0.98
    assert 3.0 < summary["float_state_bytes"] / summary["int8_state_bytes"] < 4.0   # codes: 1/4, plus scales, biases
    assert summary["checkpoint_bytes"] < summary["float_state_bytes"]
    assert summary["roundtrip_difference"] == 0.0
    assert len(summary["refused"]) == 3 and all(summary["refused"].values()), summary["refused"]


def test_deployment_lesson(tmp_path):
    for extra in EXTRAS:
        pytest.importorskip(extra)
    summary, files, stdout = run_lesson(25, tmp_path)
    check_model_and_checkpoint(summary)
    assert summary["skipped"] == []
    onnx = summary["onnx"]
    assert max(onnx["max_difference"].values()) < 1e-5                   # ONNX Runtime = tinynn
    assert abs(onnx["accuracy"]["int8"] - summary["int8_accuracy"]) < 0.003
    assert abs(onnx["accuracy"]["float32"] - summary["float_accuracy"]) < 0.003
    assert onnx["bytes"]["float32"] / onnx["bytes"]["int8"] > 2.5        # int8 codes in the file, not floats
    assert {"Conv", "MaxPool", "DequantizeLinear"} <= set(onnx["ops"])
    service = summary["service"]
    assert service["good_statuses"] == [200, 200] and service["max_difference"] < 1e-5
    assert service["bad_statuses"] == BAD_REQUESTS
    assert set(service["load"]) == {"1", "4", "16"}
    for clients, run in service["load"].items():
        assert run["sent"] == run["ok"] == 200 and run["failed"] == 0, clients   # none lost, every answer right
        assert 0 < run["p50"] <= run["p90"] <= run["p99"] <= run["max"], clients
    assert service["batched"] == {"sent": 50, "ok": 50, "failed": 0}
    assert service["exit_code"] == 0                                       # SIGTERM: a clean shutdown
    assert "latency_and_onnx_graph.png" in files
    assert "DequantizeLinear" in stdout and "GET /health    200" in stdout


def test_deployment_lesson_without_the_extras_skips_steps_4_and_5(tmp_path):
    (script,) = sorted(LESSONS.glob("25_*.py"))
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in EXTRAS)   # as if not installed
    code = (f"import sys, runpy; {blocked}; sys.argv = [{str(script)!r}, '--figures', {str(tmp_path)!r}]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads([line for line in result.stdout.splitlines() if line.startswith("summary: ")][-1][9:])
    check_model_and_checkpoint(summary)
    assert summary["onnx"] is None and summary["service"] is None
    assert summary["skipped"] == sorted(EXTRAS)
    assert result.stdout.count('pip install -e ".[onnx,serve]"') >= 3   # ONNX, service, load test
    assert (tmp_path / "latency_and_onnx_graph.png").stat().st_size > 0
