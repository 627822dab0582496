"""``python -m tinynn.serve PATH [--host 127.0.0.1] [--port 8000] ...``: serve a model with uvicorn.

PATH is a deployment checkpoint (``tinynn.deploy.save``) or an ONNX file. One process, one event
loop; requests are checked in worker threads and a tinynn model runs under a lock (runners.py).

Shutdown: on SIGINT or SIGTERM uvicorn stops accepting connections, lets the requests in flight
finish (up to ``--graceful-timeout`` seconds), and returns. uvicorn then raises the signal again
with the handler that was installed before it started, so that the process ends as the signal
asks; the handler installed here turns that into a normal exit with status 0: the server shut down
as it was told to, which is success.
"""
from __future__ import annotations

import argparse
import signal
import sys


def parse_shape(text: str) -> tuple:
    """``"4"`` -> (4,), ``"?,16"`` or ``"None,16"`` -> (None, 16) (a size that varies), ``""`` -> ()."""
    sizes = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return tuple(None if size in ("?", "None") else int(size) for size in sizes)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes separated by commas ('?' for a size that varies), "
                                         f"got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tinynn.serve",
                                     description="Serve a tinynn deployment checkpoint or an ONNX model over HTTP "
                                                 "(POST /predict, GET /health, GET /metadata).")
    parser.add_argument("path", help="a tinynn.deploy checkpoint or an .onnx file")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--input-shape", type=parse_shape, default=None,
                        help="one input's shape without the batch, e.g. 4 or 3,32,32 or ? (default: from the file)")
    parser.add_argument("--input-dtype", default=None, help="float32, int64, ... (default: from the file)")
    parser.add_argument("--max-batch", type=int, default=64, help="most inputs per request (default 64)")
    parser.add_argument("--max-body-bytes", type=int, default=4 << 20, help="largest request body (default 4 MiB)")
    parser.add_argument("--trust-model-class", action="store_true",
                        help="import the checkpoint's model class even from outside tinynn (runs that module's "
                             "code: only for files you trust)")
    parser.add_argument("--graceful-timeout", type=float, default=30.0,
                        help="seconds the requests in flight get to finish at shutdown (default 30)")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true", help="do not log a line per request")
    return parser


def _exit_cleanly(signum, frame) -> None:
    raise SystemExit(0)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from . import create_app
    from .runners import require_extra

    uvicorn = require_extra("uvicorn", "serve")
    try:
        app = create_app(args.path, input_shape=args.input_shape, input_dtype=args.input_dtype,
                         max_batch=args.max_batch, max_body_bytes=args.max_body_bytes,
                         trust_model_class=args.trust_model_class)
    except (OSError, ImportError, ValueError, TypeError, RuntimeError) as err:  # a missing file, a refused file
        print(f"python -m tinynn.serve: cannot serve {args.path}: {err}", file=sys.stderr)
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _exit_cleanly)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=not args.no_access_log, timeout_graceful_shutdown=args.graceful_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
