"""Prints the largest difference between tinynn and ONNX Runtime for each exported module."""
from __future__ import annotations

import importlib.util


def pytest_terminal_summary(terminalreporter):
    if not all(importlib.util.find_spec(name) for name in ("onnx", "onnxruntime")):
        return  # the export tests were skipped
    from .helpers import DIFFERENCES

    if not DIFFERENCES:
        return
    terminalreporter.section("tinynn vs ONNX Runtime: largest difference per module")
    for label in sorted(DIFFERENCES):
        terminalreporter.write_line(f"{label:<60} {DIFFERENCES[label]:.2e}")
