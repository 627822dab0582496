"""A bounded load test for a prediction service on this machine.

    load_test(url, payload, requests=1000, concurrency=8) -> {"sent", "ok", "failed", "errors",
        "latency_ms": {"p50", "p90", "p99", "max", "mean"}, "throughput_rps", "elapsed_s", ...}

``concurrency`` threads share a budget of ``requests`` POSTs, each thread over its own keep-alive
connection (standard library ``http.client``), so at most ``concurrency`` requests are in flight.
It stops by itself: after ``requests`` requests, or at ``max_seconds`` (those not sent by then are
counted as "not_sent"); each request has a socket ``timeout``. An answer counts as ok if its status
is 200 and ``check(answer)`` (the parsed JSON) is true; anything else is a failure, counted by its
reason. Only loopback addresses are accepted: this is a test of one's own service, not a tool for
loading someone else's.
"""
from __future__ import annotations

import http.client
import ipaddress
import json
import threading
import time
import urllib.parse
from collections import Counter
from typing import Callable

import numpy as np

__all__ = ["load_test"]


def load_test(url: str, payload, requests: int = 1000, concurrency: int = 8, timeout: float = 30.0,
              check: Callable[[dict], bool] | None = None, max_seconds: float = 600.0) -> dict:
    """POST ``payload`` (a JSON-able object, or bytes) to ``url`` ``requests`` times from ``concurrency`` threads."""
    host, port, path = _loopback_target(url)
    if type(requests) is not int or requests < 1 or type(concurrency) is not int or concurrency < 1:
        raise ValueError(f"load_test: requests and concurrency must be positive ints, got {requests!r}, "
                         f"{concurrency!r}")
    body = payload if isinstance(payload, bytes) else json.dumps(payload, allow_nan=False).encode()
    lock = threading.Lock()
    state = {"next": 0, "ok": 0}
    latencies: list[float] = []
    errors: Counter = Counter()
    deadline = time.monotonic() + max_seconds

    def take_one() -> bool:
        with lock:
            if state["next"] >= requests or time.monotonic() > deadline:
                return False
            state["next"] += 1
            return True

    def worker() -> None:
        connection = None
        while take_one():
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
            start = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                data = response.read()
                reason = _judge(response.status, data, check)
            except (OSError, http.client.HTTPException) as err:  # timeouts, resets, refused connections
                reason = type(err).__name__
                connection.close()
                connection = None
            elapsed = (time.perf_counter() - start) * 1000.0
            with lock:
                latencies.append(elapsed)
                if reason is None:
                    state["ok"] += 1
                else:
                    errors[reason] += 1
        if connection is not None:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, name=f"load-test-{i}", daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + timeout + 5.0)
    elapsed_s = time.perf_counter() - started
    sent = len(latencies)
    ms = np.array(latencies) if latencies else np.zeros(1)
    return {
        "url": url, "requests": requests, "concurrency": concurrency,
        "sent": sent, "ok": state["ok"], "failed": sent - state["ok"], "not_sent": requests - sent,
        "errors": dict(errors),
        "latency_ms": {"p50": float(np.percentile(ms, 50)), "p90": float(np.percentile(ms, 90)),
                       "p99": float(np.percentile(ms, 99)), "max": float(ms.max()), "mean": float(ms.mean())},
        "elapsed_s": elapsed_s, "throughput_rps": sent / elapsed_s if elapsed_s > 0 else 0.0,
    }


def _judge(status: int, data: bytes, check) -> str | None:
    """None for a good answer, else the reason it is not."""
    if status != 200:
        return f"HTTP {status}"
    if check is None:
        return None
    try:
        answer = json.loads(data)
    except ValueError:
        return "not JSON"
    return None if check(answer) else "wrong answer"


def _loopback_target(url: str) -> tuple[str, int, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"load_test: expected an http:// URL of a service on this machine, got {url!r}")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"load_test: only loopback addresses (127.0.0.1, ::1, localhost) are load-tested, "
                         f"got {host!r}")
    return host, parts.port or 80, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
