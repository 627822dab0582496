"""The FastAPI application: POST /predict, GET /health, GET /metadata.

    POST /predict   {"inputs": batch or one input}  ->  {"outputs": ..., "model": ..., "batch_size": N,
                    "output_shape": [...]} (plus "named_outputs" for a model with several outputs, and a
                    "warning" when outputs hold NaN or infinity, which JSON cannot carry: sent as null)
    GET /health     {"status": "ok", "ready": true, ...}: the process answers, and the model is loaded
    GET /metadata   what is served: the checkpoint's metadata (class, config, versions, weights hash,
                    metrics) or the ONNX graph's inputs, outputs and opsets; the input shape and dtype

Requests are checked in ``validation.py`` (its docstring lists the 4xx answers). The body is read
as a stream and counted, so a body over ``max_body_bytes`` is refused before it is parsed, whatever
its Content-Length says. Parsing, checking and running the model happen in a worker thread, so the
event loop keeps answering /health while a batch runs. A model that fails on input that passed the
checks is answered with 422 when the input shape is not fully known (the model is the judge, as GPT
is of a sequence longer than its block size), and otherwise with 500: a model that fails on input
of the shape it declared is a fault of the service. Any other unexpected exception also becomes a
500 with a short message (the traceback goes to the server log, never to the client); /health
counts them.

Readiness: the model is loaded by ``create_app``, before the server opens its socket, so a server
that answers /health has a loaded model: liveness and readiness are the same answer here.
"""
import json
import logging
import math
import os
import threading
import time

import numpy as np

from .runners import open_model, require_extra
from .validation import InputError, InputSpec, batch_from_request, check_content_length, check_content_type, \
    parse_json, too_large

logger = logging.getLogger("tinynn.serve")
DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_BODY_BYTES = 4 << 20


class PredictionService:
    """The model and the rules for its inputs, without HTTP: ``predict(body bytes) -> answer dict``."""

    def __init__(self, runner, spec: InputSpec, max_body_bytes: int):
        self.runner, self.spec, self.max_body_bytes = runner, spec, max_body_bytes
        self.started = time.time()
        self.counts = {"requests": 0, "ok": 0, "client_errors": 0, "internal_errors": 0}
        self._count_lock = threading.Lock()

    def count(self, key: str) -> None:
        with self._count_lock:
            self.counts[key] += 1

    def predict(self, body: bytes) -> dict:
        batch, single = batch_from_request(parse_json(body), self.spec)
        try:
            outputs = self.runner.run(batch)
        except Exception as err:
            if self.spec.shape is not None and None not in self.spec.shape:
                raise  # the input had the declared shape: a fault of the service, answered with 500
            raise InputError(422, f"the model could not run on inputs of shape {list(batch.shape)}: "
                             f"{type(err).__name__}: {str(err)[:300]}", self.spec.describe(),
                             f"shape {list(batch.shape)}") from err
        first = outputs[0][1]
        answer = {"model": self.runner.name, "batch_size": len(batch)}
        answer["outputs"], nonfinite = _to_json(first[0] if single else first)
        answer["output_shape"] = list(first.shape[1:] if single else first.shape)
        if len(outputs) > 1:
            answer["named_outputs"] = {}
            for name, array in outputs:
                answer["named_outputs"][name], bad = _to_json(array[0] if single else array)
                nonfinite += bad
        if nonfinite:
            answer["warning"] = f"{nonfinite} output values were NaN or infinite; JSON cannot carry them: sent as null"
        return answer

    def predict_json(self, body: bytes) -> bytes:
        """``predict``'s answer as JSON bytes (rendered here, in the worker thread, not in the event loop)."""
        return json.dumps(self.predict(body), allow_nan=False, separators=(",", ":")).encode()

    def health(self) -> dict:
        uptime = round(time.time() - self.started, 3)
        return {"status": "ok", "ready": True, "model": self.runner.name, "uptime_s": uptime, **self.counts}

    def metadata(self) -> dict:
        import tinynn

        shape = None if self.spec.shape is None else list(self.spec.shape)
        return jsonable({
            "service": "tinynn.serve", "tinynn_version": tinynn.__version__, "kind": self.runner.kind,
            "model": self.runner.name,
            "input": {"shape": shape, "dtype": str(self.spec.dtype), "max_batch": self.spec.max_batch,
                      "max_body_bytes": self.max_body_bytes, "expects": self.spec.describe()},
            **self.runner.describe(),
        })


def _to_json(array: np.ndarray) -> tuple[object, int]:
    """(nested lists, count of NaN/inf values sent as None)."""
    if array.dtype.kind not in "fc":
        return array.tolist(), 0
    bad = ~np.isfinite(array)
    if not bad.any():
        return array.tolist(), 0
    cells = array.astype(object)
    cells[bad] = None
    return cells.tolist(), int(bad.sum())


def jsonable(value):
    """Plain JSON values: tuples as lists, NumPy scalars as numbers, non-finite floats as strings."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


async def read_body(request, limit: int) -> bytes:
    """The body, counted while it arrives: refused as soon as it passes ``limit`` bytes."""
    from starlette.requests import ClientDisconnect

    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(f"more than {limit} bytes (counted while reading)", limit)
            chunks.append(chunk)
    except ClientDisconnect:  # the client went away mid-body: nobody will read the answer
        raise InputError(400, "the client disconnected before the body was complete", "a complete body",
                         f"{size} bytes, then a disconnect") from None
    return b"".join(chunks)


def create_app(model_or_path, input_shape=None, input_dtype=None, max_batch: int = DEFAULT_MAX_BATCH,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, *, model_class=None, trust_model_class: bool = False):
    """A FastAPI app serving a tinynn Module, a deployment checkpoint (path) or an ONNX file (path).

    input_shape: one example's shape without the batch dimension (None entries vary); default: the
    checkpoint's recorded input (``tinynn.deploy.save(..., input_shape=...)``) or the ONNX graph's
    input, else unknown (then only batches are accepted, and the model judges their shape).
    input_dtype: default the checkpoint's or ONNX input's dtype, else the model's parameter dtype.
    max_batch: most examples per request. max_body_bytes: largest request body.
    model_class, trust_model_class: passed to ``tinynn.deploy.load`` for a checkpoint.
    """
    fastapi = require_extra("fastapi", "serve")
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    if type(max_batch) is not int or max_batch < 1 or type(max_body_bytes) is not int or max_body_bytes < 1:
        raise ValueError(f"create_app: max_batch and max_body_bytes must be positive ints, got {max_batch!r} and "
                         f"{max_body_bytes!r}")
    runner = open_model(model_or_path, model_class, trust_model_class)
    shape = _checked_shape(input_shape, runner)
    dtype = np.dtype(input_dtype or runner.input_dtype)
    if runner.kind == "onnx" and dtype != np.dtype(runner.input_dtype):
        raise ValueError(f"create_app: the ONNX model takes {runner.input_dtype} inputs, not {dtype}")
    service = PredictionService(runner, InputSpec(shape, dtype, max_batch), max_body_bytes)

    import tinynn

    source = os.path.basename(os.fspath(model_or_path)) if not isinstance(model_or_path, tinynn.nn.Module) else \
        runner.name
    app = fastapi.FastAPI(title=f"tinynn prediction service: {source}", version=tinynn.__version__,
                          description=__doc__.split("\n\n")[0])
    app.state.service = service

    async def refuse(request, error: InputError):
        service.count("client_errors")
        return JSONResponse(error.payload(), status_code=error.status)

    async def internal_error(request, error: Exception):
        service.count("internal_errors")
        logger.error("tinynn.serve: %s %s failed", request.method, request.url.path, exc_info=error)
        return JSONResponse({"detail": f"internal server error ({type(error).__name__}); see the server log"},
                            status_code=500)

    app.add_exception_handler(InputError, refuse)
    app.add_exception_handler(Exception, internal_error)

    @app.get("/health")
    async def health() -> dict:
        return service.health()

    @app.get("/metadata")
    async def metadata() -> dict:
        return service.metadata()

    @app.post("/predict")
    async def predict(request: fastapi.Request):  # evaluated now (no postponed annotations): FastAPI reads it
        service.count("requests")
        check_content_type(request.headers.get("content-type"))
        check_content_length(request.headers.get("content-length"), max_body_bytes)
        body = await read_body(request, max_body_bytes)
        answer = await run_in_threadpool(service.predict_json, body)
        service.count("ok")
        return fastapi.Response(answer, media_type="application/json")

    return app


def _checked_shape(input_shape, runner) -> tuple | None:
    if input_shape is None:
        return runner.input_shape
    if isinstance(input_shape, int) or not all(s is None or (type(s) is int and s > 0) for s in input_shape):
        raise ValueError(f"create_app: input_shape must be a sequence of positive ints or None (a size that varies), "
                         f"got {input_shape!r}")
    shape = tuple(input_shape)
    known = runner.input_shape
    if known is not None and (len(known) != len(shape) or any(k is not None and k != s for k, s in zip(known, shape))):
        raise ValueError(f"create_app: input_shape {shape} does not match the model's input {known}")
    return shape
