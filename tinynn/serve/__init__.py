"""``tinynn.serve``: a small HTTP prediction service for a trained model (lesson 25).

    create_app(model_or_path, input_shape=None, input_dtype=None, max_batch=64, max_body_bytes=4 MiB)
        the FastAPI app for a tinynn Module, a deployment checkpoint (``tinynn.deploy.save``) or an
        ONNX file (run in ONNX Runtime)
    python -m tinynn.serve PATH --host 127.0.0.1 --port 8000      run it with uvicorn
    load_test(url, payload, requests=1000, concurrency=8)         latency and throughput, loopback only

    app.py         the routes: POST /predict, GET /health, GET /metadata; errors as JSON
    validation.py  what a request must look like, and the 4xx answer for each way it can go wrong
    runners.py     the model behind it: a tinynn Module (under a lock) or an ONNX Runtime session
    loadtest.py    the load test

Example::

    $ python -m tinynn.serve model.pt --port 8000
    $ curl -s localhost:8000/predict -H 'Content-Type: application/json' -d '{"inputs": [[0.1, 0.2, 0.3, 0.4]]}'
    {"model":"MLP","batch_size":1,"outputs":[[0.52,-0.13,0.08]],"output_shape":[1,3]}

FastAPI and uvicorn are the ``serve`` extra (``pip install -e ".[serve]"``), ONNX Runtime the
``onnx`` extra; they are imported when an app is created, so ``import tinynn.serve`` works without them.
"""
from .app import create_app
from .loadtest import load_test

__all__ = ["create_app", "load_test"]
