# %% [markdown]
# # Lesson 25: from a trained model to a service
#
# A model that scores 97% in a notebook helps nobody until other programs can ask it questions.
# Between the two lie a few steps that every deployed model goes through, and this lesson takes a
# small digits CNN through all of them:
#
# 1. **train** it (briefly);
# 2. **quantize** its weights to int8 after training: a file about four times smaller, the same
#    accuracy;
# 3. save a **deployment checkpoint**: the weights plus metadata that says what they are (class,
#    config, versions, a hash of the weights, the test accuracy), and watch loading refuse a
#    mismatched config and an edited file;
# 4. **export it to ONNX**, a standard graph format that runtimes in any language run, and check
#    ONNX Runtime's answers against tinynn's;
# 5. **serve** it over HTTP, send it good and bad requests, and measure its latency under load.
#
# Steps 4 and 5 need the optional extras, `pip install -e ".[onnx,serve]"` (onnx, onnxruntime,
# fastapi, uvicorn); without them the lesson says so and skips those steps.
#
# Run: `python lessons/25_from_model_to_service.py` (about 15 seconds), or `--full` (about half a
# minute) for longer training and a longer load test.

# %%
import atexit
import http.client
import importlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import textwrap
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn import deploy
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.quant import quantize_model

lesson = Lesson(25, "from a trained model to a service", full_takes="about half a minute")
torch.manual_seed(lesson.seed)
FULL = lesson.full
WORK = lesson.figures / "deployment"   # what the lesson writes besides figures: checkpoints, ONNX files, a log
WORK.mkdir(parents=True, exist_ok=True)
INSTALL = 'pip install -e ".[onnx,serve]"'


def missing(*modules: str) -> list:
    """The optional packages among ``modules`` that cannot be imported here."""
    absent = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            absent.append(name)
    return absent


def show(text: str, indent: str = "      ") -> None:
    """Print a long message wrapped, indented under its heading."""
    print(textwrap.fill(text, 110, initial_indent=indent, subsequent_indent=indent))


MISSING_ONNX = missing("onnx", "onnxruntime")
MISSING_SERVE = missing("fastapi", "uvicorn")

# %% [markdown]
# ## 1. A model to deploy
# The shipped 8 x 8 handwritten digits and a small CNN: a 3 x 3 convolution with 32 filters, ReLU,
# 2 x 2 max-pooling, then two Linear layers (512 -> 128 -> 10). The constructor's arguments are the
# model's **config**: what builds the same empty network again, into which saved weights fit. One
# of them, `weights`, says whether the Linear layers hold float32 weights or int8 codes (step 2).

# %%
lesson.section()
x_train, y_train = load_digits("train")   # (1438, 1, 8, 8) float32 pixels in [0, 1], int64 labels
x_test, y_test = load_digits("test")      # (359, 1, 8, 8)


class DigitCNN(nn.Module):
    """(N, 1, 8, 8) pixels in [0, 1] -> (N, 10) logits."""

    def __init__(self, channels: int = 32, hidden: int = 128, weights: str = "float32"):
        super().__init__()
        self.conv = nn.Conv2d(1, channels, kernel_size=3, padding=1)   # (N, C, 8, 8)
        self.pool = nn.MaxPool2d(2)                                     # (N, C, 4, 4)
        self.fc1 = nn.Linear(channels * 4 * 4, hidden)
        self.fc2 = nn.Linear(hidden, 10)
        if weights == "int8":   # the same layers with int8 codes + scales for weights (step 2)
            quantize_model(self, "int8", inplace=True)
        elif weights != "float32":
            raise ValueError(f"DigitCNN: weights must be 'float32' or 'int8', got {weights!r}")

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


CONFIG = {"channels": 32, "hidden": 128, "weights": "float32"}
model = DigitCNN(**CONFIG)
epochs = 40 if FULL else 20
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
steps_per_epoch = (len(x_train) + 63) // 64
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * steps_per_epoch)
progress = Progress(epochs, lines=4)
for epoch in range(1, epochs + 1):
    order = torch.randperm(len(x_train))
    for start in range(0, len(x_train), 64):
        batch = order[start:start + 64]
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    progress(epoch, loss=loss.item())
model.eval()   # what is deployed is the model in eval mode
float_accuracy = accuracy(model, x_test, y_test)
print(f"float32 CNN, {sum(p.numel() for p in model.parameters()):,} parameters: test accuracy {float_accuracy:.3f}  "
      f"(expect about 0.97 quick, 0.975 with --full)")

# %% [markdown]
# ## 2. Post-training quantization: int8 weights
# A deployed model is downloaded, loaded and kept in memory over and over (one copy per server
# process, one per phone). Its float32 weights take 4 bytes each. As in lesson 21, each block of 64
# weights can be stored as 8-bit codes and one float scale:
#
#     s = max|w| / 127  (per block)      code = round(w / s)  in -127..127      w_hat = code * s
#
# This is *post-training* quantization: no retraining, only rounding, with an error of at most s/2
# per weight. `quantize_model` swaps each `nn.Linear` for a `QuantizedLinear` that keeps the codes
# and rebuilds w_hat in its forward. (The convolution, 288 weights, stays float32.) Look for: a
# file about 3.5 times smaller (codes are 1/4 of float32, plus the scales and the float biases), and
# the accuracy unchanged.

# %%
lesson.section()
quantized = quantize_model(model, "int8")   # a copy; `model` keeps its float32 weights
float_file, int8_file = WORK / "digits_cnn_float32_state.pt", WORK / "digits_cnn_int8_state.pt"
torch.save(model.state_dict(), float_file)
torch.save(quantized.state_dict(), int8_file)
float_bytes, int8_bytes = float_file.stat().st_size, int8_file.stat().st_size
int8_accuracy = accuracy(quantized, x_test, y_test)
with torch.no_grad():
    logits_float, logits_int8 = model(x_test), quantized(x_test)
agreement = (logits_float.argmax(1) == logits_int8.argmax(1)).float().mean().item()
logit_change = (logits_int8 - logits_float).abs().max().item()
print(f"state dict file: float32 {float_bytes:,} bytes, int8 {int8_bytes:,} bytes  ({float_bytes / int8_bytes:.1f}x "
      "smaller; expect about 3.5x)")
print(f"test accuracy: float32 {float_accuracy:.3f}, int8 {int8_accuracy:.3f}  (expect equal within about 0.01: rounding moves a few borderline images)")
print(f"the two agree on {agreement:.1%} of the test images; the largest change of a logit is {logit_change:.4f} "
      "(expect 99-100% and a few hundredths)")

# %% [markdown]
# ## 3. A checkpoint that says what it holds
# `torch.save(model.state_dict())` stores numbers with names. The service that loads them months
# later, on another machine, must also know which class to build with which arguments, and that
# these are still the numbers that were saved. `tinynn.deploy.save` writes the weights together
# with metadata:
#
# - the model class and its **config**: the loader rebuilds exactly that network. Weights loaded
#   into a different architecture fail with an obscure error or, worse, fit and compute nonsense;
# - the tinynn version and a **format version**: a tinynn that is too old refuses a newer file
#   instead of misreading it;
# - a **SHA-256 hash of the weights**: a corrupted download or an edited file is caught when it is
#   loaded (a checksum, not a signature: whoever can rewrite the file can rewrite the hash);
# - the date, and what the owner adds: here the test accuracy and the input one example takes
#   (the service reads it to check requests).
#
# Loading is *weights-only*: the file holds data and no code, and `deploy.load` imports no module
# that the file names (importing a module runs its code). A class from outside tinynn, such as our
# `DigitCNN`, is handed over by the caller. Look for: the same outputs after loading, and a clear
# refusal, naming what differs, for each of three mistakes.

# %%
lesson.section()
INT8_CONFIG = {**CONFIG, "weights": "int8"}
checkpoint = WORK / "digits_cnn_int8.pt"
deploy.save(quantized, checkpoint, config=INT8_CONFIG, metrics={"test_accuracy": round(int8_accuracy, 4)},
            input_shape=(1, 8, 8), input_dtype="float32", dataset="UCI handwritten digits 8 x 8 (tinynn.datasets)")
print(f"{checkpoint.name}: {checkpoint.stat().st_size:,} bytes. Its metadata, read without loading the weights:")
print(textwrap.indent(json.dumps(deploy.metadata(checkpoint), indent=2), "    "))

restored = deploy.load(checkpoint, model_class=DigitCNN)   # rebuilt from its config, weights checked, eval mode
with torch.no_grad():
    roundtrip_difference = (restored(x_test) - logits_int8).abs().max().item()
print(f"loaded back: a {type(restored).__name__} in {'training' if restored.training else 'eval'} mode; max |output "
      f"difference| {roundtrip_difference:.1e}  (expect exactly 0)")

tampered = WORK / "digits_cnn_int8_tampered.pt"
content = torch.load(checkpoint)                  # the plain dict: {"metadata": ..., "state_dict": ...}
content["state_dict"]["fc2.bias"] = content["state_dict"]["fc2.bias"] + 0.5   # someone "adjusts" a bias
torch.save(content, tampered)
attempts = {
    "a service configured for the float32 model": lambda: deploy.load(checkpoint, model_class=DigitCNN,
                                                                      config=CONFIG),
    "the file with one bias edited": lambda: deploy.load(tampered, model_class=DigitCNN),
    "no class given (the file names __main__.DigitCNN)": lambda: deploy.load(checkpoint),
}
refused = {}
for what, attempt in attempts.items():
    try:
        attempt()
        refused[what] = False
        print(f"  {what}: loaded (not expected!)")
    except deploy.DeploymentError as error:
        refused[what] = True
        print(f"  {what}: refused")
        show(str(error))

# %% [markdown]
# ## 4. ONNX: the model as a standard graph
# The service could import tinynn and run `DigitCNN` itself. Production systems more often ship a
# model as an **ONNX** file (Open Neural Network Exchange): a graph of standard operators (Conv,
# Relu, MatMul, ..., each defined by the ONNX specification and versioned by *opset*) with the
# weights inside. Any ONNX runtime runs it, from C++, C#, Java or JavaScript, on servers, phones and
# in browsers, with neither Python nor tinynn; ONNX Runtime (Microsoft's) is the most used.
#
# `torch.onnx.export(model, example_inputs, path)` runs the model once on the example and records
# every operation (*tracing*). Python's `if`s and loops are frozen at the path the example took, and
# every size is fixed unless `dynamic_axes` frees it: we free the batch axis, so the same file
# answers for 1 image or 359. The int8 model exports its codes as int8 tensors and a
# `DequantizeLinear` node that computes w_hat = code * s. Look for: ONNX Runtime's outputs equal to
# tinynn's up to float32 rounding (expect a max difference under 1e-5), and the int8 file about 3.5
# times smaller.

# %%
lesson.section()
onnx_files = {"float32": WORK / "digits_cnn_float32.onnx", "int8": WORK / "digits_cnn_int8.onnx"}
onnx_result, graph = None, None
if MISSING_ONNX:
    print(f"skipped: exporting and running ONNX needs {' and '.join(MISSING_ONNX)}: {INSTALL}")
else:
    import onnx
    import onnxruntime

    axes = {"pixels": {0: "batch"}, "logits": {0: "batch"}}
    for name, net in (("float32", model), ("int8", quantized)):
        torch.onnx.export(net, (x_test[:4],), onnx_files[name], input_names=["pixels"], output_names=["logits"],
                          dynamic_axes=axes)   # traced on 4 images; runs on any number
    print("The int8 model as an ONNX graph (op, inputs -> outputs with their types and shapes, attributes):")
    torch.onnx.describe(onnx_files["int8"])
    graph = onnx.load(onnx_files["int8"]).graph
    onnx_result = {"max_difference": {}, "accuracy": {}, "bytes": {}, "ops": sorted({n.op_type for n in graph.node})}
    print(f"\nONNX Runtime {onnxruntime.__version__} on all {len(x_test)} test images at once:")
    for name, expected in (("float32", logits_float), ("int8", logits_int8)):
        session = onnxruntime.InferenceSession(str(onnx_files[name]), providers=["CPUExecutionProvider"])
        (logits,) = session.run(["logits"], {"pixels": x_test.numpy()})
        onnx_result["max_difference"][name] = float(np.abs(logits - expected.numpy()).max())
        onnx_result["accuracy"][name] = float((logits.argmax(1) == y_test.numpy()).mean())
        onnx_result["bytes"][name] = onnx_files[name].stat().st_size
        print(f"  {name:<8} {onnx_result['bytes'][name]:>7,} bytes   max |ONNX Runtime - tinynn| "
              f"{onnx_result['max_difference'][name]:.1e} (expect < 1e-5)   accuracy {onnx_result['accuracy'][name]:.3f}")

# %% [markdown]
# ## 5. A prediction service
# A service puts the model behind HTTP: any program that can send JSON can now ask for
# predictions. `tinynn.serve` is built on FastAPI (routes and request handling) and uvicorn (the
# server). It runs here as a process of its own, started exactly as you would start it:
#
#     python -m tinynn.serve figures/25/deployment/digits_cnn_int8.onnx --port 8000
#
# It serves the int8 ONNX file in ONNX Runtime. (It serves deployment checkpoints too, but then the
# server must import the model's class, and `DigitCNN` lives in this lesson's script; an ONNX file
# needs no class at all.) It answers `GET /health` (is it up, is the model loaded), `GET /metadata`
# (what is served, what input it expects) and `POST /predict` with a body `{"inputs": [...]}`: a
# batch of images as nested lists, or one image.
#
# **Why validate inputs.** A service's requests come from programs you did not write. Unchecked, a
# malformed request reaches the model and fails deep inside it with "500 Internal Server Error",
# which tells the client nothing and looks like the server's fault; or, worse, it does not fail: a
# NaN pixel or a wrongly shaped image gives a confident, meaningless prediction. The service checks
# each request before the model sees it and answers a mistake with a 4xx status that says what was
# expected and what came: 400 for a body that is not JSON (JSON has no NaN), 415 for a body not
# declared as JSON, 422 for JSON of the wrong form (shape, types, batch size), 413 for a body too
# large. Look for: the service's answers equal to the model's outputs, and each bad request refused.

# %%
lesson.section()


def free_port() -> int:
    """A port the operating system hands out on 127.0.0.1 (bound to port 0, released for the server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(port: int, method: str, path: str, body=None, content_type: str = "application/json"):
    """One HTTP request on a fresh connection: (status, the JSON answer)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": content_type} if body else {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def start_service(model_file: pathlib.Path, log_file: pathlib.Path):
    """``python -m tinynn.serve model_file`` on 127.0.0.1 as a subprocess; returns (process, port) once /health answers."""
    port = free_port()
    tinynn_root = str(pathlib.Path(torch.__path__[0]).resolve().parent)   # the server imports this very tinynn
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (tinynn_root, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "tinynn.serve", str(model_file), "--host", "127.0.0.1", "--port", str(port),
               "--no-access-log"]
    with open(log_file, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    atexit.register(lambda: process.poll() is None and process.kill())   # never leave a server behind
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with status {process.returncode}; its log ({log_file}):\n"
                               f"{log_file.read_text(errors='replace')[-2000:]}")
        try:
            if call(port, "GET", "/health")[0] == 200:
                return process, port
        except OSError:   # not listening yet
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the service did not answer /health within a minute; its log is {log_file}")


service_result, server, port = None, None, None
if MISSING_ONNX or MISSING_SERVE:
    print(f"skipped: the service needs {', '.join(MISSING_ONNX + MISSING_SERVE)}: {INSTALL}")
else:
    started = time.perf_counter()
    server, port = start_service(onnx_files["int8"], WORK / "service.log")
    print(f"service started in {time.perf_counter() - started:.1f} s: "
          f"python -m tinynn.serve {onnx_files['int8'].name} --port {port}  (pid {server.pid})")
    status, health = call(port, "GET", "/health")
    print(f"GET /health    {status}  status {health['status']!r}, ready {health['ready']}, model {health['model']!r}")
    status, meta = call(port, "GET", "/metadata")
    opsets = ", ".join(f"{o['domain']} {o['version']}" for o in meta["onnx"]["opset"] or [])
    print(f"GET /metadata  {status}  serves {meta['kind']} ({opsets}); expects {meta['input']['expects']}")

    five = x_test[:5]
    predict_status, answer = call(port, "POST", "/predict", json.dumps({"inputs": five.numpy().tolist()}).encode())
    served = np.array(answer["outputs"], dtype=np.float32)
    service_difference = float(np.abs(served - logits_int8[:5].numpy()).max())
    print(f"POST /predict  {predict_status}  5 images -> logits of shape {answer['output_shape']}; digits "
          f"{served.argmax(1).tolist()} (labels {y_test[:5].tolist()}); max |service - tinynn int8 model| "
          f"{service_difference:.1e} (expect < 1e-5)")
    status_one, answer_one = call(port, "POST", "/predict", json.dumps({"inputs": five[0].numpy().tolist()}).encode())
    print(f"POST /predict  {status_one}  one image alone (shape (1, 8, 8), no batch) -> digit "
          f"{int(np.argmax(answer_one['outputs']))}")

    image = x_test[0].numpy()
    nan_image = image.copy()
    nan_image[0, 3, 4] = np.nan
    bad_requests = {   # what a client sends by mistake: (body, Content-Type)
        "wrong shape: a flat 64-vector": (json.dumps({"inputs": [image.reshape(64).tolist()]}), "application/json"),
        "a NaN pixel": (json.dumps({"inputs": [nan_image.tolist()]}), "application/json"),   # json writes NaN
        "malformed JSON (cut off)": ('{"inputs": [[[0.0, 0.25, 0.5', "application/json"),
        "a string among the pixels": (json.dumps({"inputs": [[[["0.5"] * 8] * 8]]}), "application/json"),
        "65 images (the limit is 64)": (json.dumps({"inputs": x_test[:65].numpy().tolist()}), "application/json"),
        "form data, not JSON": ("inputs=0.5", "application/x-www-form-urlencoded"),
    }
    bad_statuses = {}
    print("bad requests:")
    for what, (body, content_type) in bad_requests.items():
        status, answer = call(port, "POST", "/predict", body.encode(), content_type)
        bad_statuses[what] = status
        print(f"  {status}  {what}")
        show(f"{answer['detail']}  (got: {answer.get('got')})")
    service_result = {"good_statuses": [predict_status, status_one], "max_difference": service_difference,
                      "bad_statuses": bad_statuses}

# %% [markdown]
# ## Latency under load
# A service is judged by how long its answers take, and one number does not say it: latencies
# spread. Sort the times of many requests: the **p50** (the median) is the time half of the
# requests beat, **p90** and **p99** the times 90% and 99% of them beat. The slow tail matters
# because users meet it often: a page that makes 20 requests waits for the slowest, so with a p99
# of 50 ms about one page view in five (1 - 0.99^20 = 18%) waits 50 ms or more. Services therefore
# promise a p99, not an average.
#
# `tinynn.serve.load_test` sends a fixed number of requests from a few concurrent clients (threads,
# each with its own connection) and times each request from sending it to the last byte of the
# answer. With more requests in flight than the server works on at once, the extra ones wait in a
# queue: throughput levels off (or drops, when the clients compete with the server for a small
# machine's cores) and latency grows with concurrency (Little's law: requests in flight = throughput
# x latency). Sending 32 images per request pays the fixed cost of a request (HTTP,
# JSON, a call into the runtime) once for 32 images. Look for: no request lost or wrong, the p50
# growing with the number of clients once the server is busy, and more images per second in batches.

# %%
lesson.section()
load_runs, batched = {}, None
if service_result is None:
    print(f"skipped: the load test needs the service (step 5): {INSTALL}")
else:
    from tinynn.serve import load_test

    url = f"http://127.0.0.1:{port}/predict"
    digit = int(logits_int8[0].argmax())
    requests = 1000 if FULL else 200
    print(f"{requests} requests of one image each, from 1, 4 and 16 concurrent clients:")
    print(f"  {'clients':>7} {'sent':>5} {'ok':>5} {'failed':>6} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'requests/s':>10}")
    for clients in (1, 4, 16):
        run = load_test(url, {"inputs": [image.tolist()]}, requests=requests, concurrency=clients,
                        check=lambda answer: int(np.argmax(answer["outputs"][0])) == digit)
        load_runs[clients] = run
        ms = run["latency_ms"]
        print(f"  {clients:>7} {run['sent']:>5} {run['ok']:>5} {run['failed']:>6} {ms['p50']:>7.2f} {ms['p90']:>7.2f} "
              f"{ms['p99']:>7.2f} {ms['max']:>7.1f} {run['throughput_rps']:>10.0f}")
    print("  (expect every request ok; a few ms at p50 with one client, growing with 16 clients; p99 a few times the "
          "p50)")
    batch = x_test[:32].numpy().tolist()
    batched = load_test(url, {"inputs": batch}, requests=requests // 4, concurrency=4,
                        check=lambda answer: len(answer["outputs"]) == 32)
    single_rate = load_runs[4]["throughput_rps"]
    print(f"32 images per request, 4 clients: {batched['ok']}/{batched['sent']} ok, p50 "
          f"{batched['latency_ms']['p50']:.1f} ms, {32 * batched['throughput_rps']:.0f} images/s against "
          f"{single_rate:.0f} one at a time  (expect several times more)")
    server.send_signal(signal.SIGTERM)   # uvicorn finishes the requests in flight, then exits
    exit_code = server.wait(timeout=30)
    print(f"service stopped with SIGTERM: exit status {exit_code}  (expect 0, a clean shutdown)")
    service_result.update(
        exit_code=exit_code, images_per_second_batched=round(32 * batched["throughput_rps"], 1),
        images_per_second_single=round(single_rate, 1),
        load={clients: {key: run[key] for key in ("sent", "ok", "failed")} |
              {key: round(value, 3) for key, value in run["latency_ms"].items()} |
              {"requests_per_second": round(run["throughput_rps"], 1)} for clients, run in load_runs.items()},
        batched={key: batched[key] for key in ("sent", "ok", "failed")})

# %% [markdown]
# ## The figure: latency percentiles and the graph that was served
# Left, the percentiles of each load test: the gap between p50 and p99 is the tail. Right, the
# int8 ONNX graph as a runtime sees it, top to bottom: each box a standard operator, the weights
# (initializers) named beside the node that reads them.

# %%
lesson.section()


def draw_onnx_graph(ax, graph, weight_names) -> None:
    """An ONNX graph's nodes top to bottom in their order: those on the path from the input in the left
    column, those that only prepare weights in the right one; an arrow for each tensor passed on, and
    beside each node the weights it reads (the initializers named in ``weight_names``)."""
    nodes = list(graph.node)
    weights = {init.name: list(init.dims) for init in graph.initializer if init.name in weight_names}
    on_input_path, where = {graph.input[0].name}, {graph.input[0].name: (0.0, 1.0)}
    families = {"Conv": "tab:orange", "MatMul": "tab:orange", "Gemm": "tab:orange", "DequantizeLinear": "tab:purple"}
    for k, node in enumerate(nodes):
        data = any(name in on_input_path for name in node.input)
        x, y = (0.0 if data else 1.6), -k
        ax.text(x, y, node.op_type, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round", "fc": families.get(node.op_type, "tab:blue"), "alpha": 0.3})
        read = [f"{name} {weights[name]}" for name in node.input if name in weights]
        if read:
            side = -0.8 if data else 2.65
            ax.text(side, y, ", ".join(read), ha="right" if data else "left", va="center", fontsize=7, color="dimgray")
        for name in node.input:
            if name in where:
                ax.annotate("", xy=(x, y + 0.3), xytext=(where[name][0], where[name][1] - 0.3),
                            arrowprops={"arrowstyle": "->", "color": "gray"})
        for name in node.output:
            where[name] = (x, y)
            if data:
                on_input_path.add(name)
    last = -len(nodes)
    ax.text(0, 1, f"{graph.input[0].name} [batch, 1, 8, 8]", ha="center", va="center", fontsize=9)
    ax.text(0, last, f"{graph.output[0].name} [batch, 10]", ha="center", va="center", fontsize=9)
    ax.annotate("", xy=(0, last + 0.25), xytext=(0, last + 0.7), arrowprops={"arrowstyle": "->", "color": "gray"})
    ax.set_xlim(-2.6, 4.2)
    ax.set_ylim(last - 0.6, 1.6)
    ax.axis("off")
    ax.set_title(f"the int8 model in ONNX ({len(nodes)} nodes): the input's path (left),\n"
                 "the int8 weights made float32 (right)")


fig, (ax_latency, ax_graph) = plt.subplots(1, 2, figsize=(14, 7), gridspec_kw={"width_ratios": [1, 1.1]})
if load_runs:
    clients = list(load_runs)
    positions = np.arange(len(clients))
    for i, (key, color) in enumerate((("p50", "tab:blue"), ("p90", "tab:orange"), ("p99", "tab:red"))):
        ax_latency.bar(positions + (i - 1) * 0.27, [load_runs[c]["latency_ms"][key] for c in clients], width=0.27,
                       color=color, label=key)
    for position, c in zip(positions, clients):
        ax_latency.text(position, load_runs[c]["latency_ms"]["p99"] * 1.05, f"{load_runs[c]['throughput_rps']:.0f}/s",
                        ha="center", va="bottom", fontsize=8)
    ax_latency.set(xticks=positions, xticklabels=[f"{c} client{'s' * (c > 1)}" for c in clients],
                   ylabel="latency per request (ms)",
                   title=f"latency, one image per request ({load_runs[clients[0]]['sent']} each; requests/s above)")
    ax_latency.set_ylim(top=1.2 * max(run["latency_ms"]["p99"] for run in load_runs.values()))
    ax_latency.legend()
else:
    ax_latency.text(0.5, 0.5, f"the service needs the extras:\n{INSTALL}", ha="center", va="center")
    ax_latency.set(title="latency (not measured)", xticks=[], yticks=[])
if graph is not None:
    draw_onnx_graph(ax_graph, graph, set(quantized.state_dict()))
else:
    ax_graph.text(0.5, 0.5, f"the ONNX export needs the extras:\n{INSTALL}", ha="center", va="center")
    ax_graph.set(title="ONNX graph (not exported)", xticks=[], yticks=[])
lesson.save(fig, "latency_and_onnx_graph.png")

# %% [markdown]
# ## What to take away
# - Post-training int8 quantization shrinks the weights about 4x (3.5x with the scales and the
#   float biases) for a rounding error of at most half a step per weight: the accuracy does not move.
# - A deployment checkpoint carries what the weights need to be used safely: the class and config
#   that rebuild the network, versions, a hash that catches edited or corrupted weights, and the
#   metrics and input it was saved with. Loading it runs no code from the file.
# - ONNX turns the model into a graph of standard operators that any runtime runs without Python;
#   tracing freezes control flow and sizes, so free the axes that vary (the batch) and compare the
#   runtime's outputs with the original's before shipping.
# - A service validates every request and answers mistakes with a 4xx that says what was expected;
#   it is measured by its latency percentiles under load, and batching buys throughput.
#
# With `--full` (40 epochs, 1,000 requests per load test) the lesson measured, on a 2-core machine:
# test accuracy 0.975 in float32 and 0.975 with int8 weights (the same predictions on all 359 test
# images), a state dict of 76 kB instead of 272 kB (3.6x smaller); the checkpoint loaded back with
# identical outputs and refused a wrong config, an edited bias and a class it would have had to
# import; ONNX Runtime matched tinynn to 6.7e-6 (int8 file 75 kB, float32 270 kB); the service
# answered within 1.9e-6 of the model, refused all six bad requests with 400/415/422, and served
# 1,000 of 1,000 requests correctly from 1, 4 and 16 clients: p50 1.4 / 4.1 / 16.6 ms, p99 2.3 / 19 /
# 60 ms, about 790 requests/s at most; 32 images per request gave 6,800 images/s, 8.8 times more.

# %%
lesson.section()
lesson.summary(
    float_accuracy=round(float_accuracy, 4), int8_accuracy=round(int8_accuracy, 4),
    prediction_agreement=round(agreement, 4), float_state_bytes=float_bytes, int8_state_bytes=int8_bytes,
    checkpoint_bytes=checkpoint.stat().st_size, roundtrip_difference=roundtrip_difference,
    refused=refused, onnx=onnx_result, service=service_result,
    skipped=sorted(set(MISSING_ONNX + MISSING_SERVE)),
)
