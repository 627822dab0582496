"""tinynn.serve.validation and create_app's own checks, in process (no server)."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tinynn.serve.validation import InputError, InputSpec, batch_from_request, parse_json

FLOAT4 = InputSpec((4,), np.dtype("float32"), max_batch=8)


def refused(request, spec=FLOAT4) -> InputError:
    with pytest.raises(InputError) as info:
        batch_from_request(request, spec)
    return info.value


def test_a_batch_and_a_single_input():
    batch, single = batch_from_request({"inputs": [[1, 2, 3, 4], [5, 6, 7, 8.5]]}, FLOAT4)
    assert not single and batch.dtype == np.float32 and batch.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8.5]]
    batch, single = batch_from_request({"inputs": [1, 2, 3, 4]}, FLOAT4)
    assert single and batch.shape == (1, 4)


def test_variable_sizes_and_unknown_shapes():
    tokens = InputSpec((None,), np.dtype("int64"), max_batch=4)
    batch, single = batch_from_request({"inputs": [[1, 2, 3]]}, tokens)
    assert batch.dtype == np.int64 and batch.shape == (1, 3) and not single
    anything = InputSpec(None, np.dtype("float64"), max_batch=4)
    batch, single = batch_from_request({"inputs": [[[1], [2]]]}, anything)
    assert batch.shape == (1, 2, 1) and not single
    assert refused({"inputs": 3}, anything).status == 422  # no shape known: only batches


def test_messages_name_the_place_and_what_came():
    error = refused({"inputs": [[1, 2, 3, 4], [1, 2, [3, 3], 4]]})
    assert error.status == 422 and "ragged" in error.message and "inputs[1][2] has shape (2,)" in error.message
    assert error.got == "inputs[1][2] = [3, 3]"
    error = refused({"inputs": [[1, 2, 3, 4], [1, 2, 3, 1e300]]})
    assert "inputs[1, 3] overflows" in error.message
    assert refused({"inputs": [[1, 2, 3, 4]] * 9}).got == "9 inputs"
    deep = {"inputs": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
    assert "nested more than" in refused(deep).message


def test_json_parsing():
    assert parse_json(b'{"inputs": [1.5]}') == {"inputs": [1.5]}
    for body in (b"", b"{", b'{"inputs": NaN}', b'{"inputs": [Infinity]}', b"\xff", b"[" * 100_000):
        with pytest.raises(InputError) as info:
            parse_json(body)
        assert info.value.status == 400 and info.value.expected


def test_create_app_checks_its_arguments(tmp_path):
    pytest.importorskip("fastapi")
    from tinynn.serve import create_app

    model = nn.Linear(4, 2)
    with pytest.raises(ValueError, match="input_shape"):
        create_app(model, input_shape=4)
    with pytest.raises(ValueError, match="max_batch"):
        create_app(model, max_batch=0)
    with pytest.raises(FileNotFoundError):
        create_app(tmp_path / "missing.pt")
    app = create_app(model, input_shape=(4,))
    assert app.state.service.spec == InputSpec((4,), np.dtype("float32"), 64)
    answer = app.state.service.predict(b'{"inputs": [[1, 2, 3, 4]]}')
    with tinynn.no_grad():
        expected = model(tinynn.tensor([[1.0, 2, 3, 4]])).numpy()
    np.testing.assert_array_equal(np.array(answer["outputs"], dtype=np.float32), expected)


def test_a_file_that_is_no_model_is_refused(tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("onnxruntime")
    from tinynn.serve import create_app

    path = tmp_path / "notes.txt"
    path.write_text("not a model")
    with pytest.raises(ValueError, match="neither a tinynn deployment checkpoint"):
        create_app(path)


def test_the_command_line_reports_a_file_it_cannot_serve(tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "tinynn.serve", str(tmp_path / "missing.pt")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "cannot serve" in result.stderr and "missing.pt" in result.stderr
    assert "Traceback" not in result.stderr
