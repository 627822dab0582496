"""pytest configuration: a hypothesis profile sized for a 2-core CI machine, headless matplotlib,
and the device the suite runs on.

``pytest --device cuda`` (or ``TINYNN_TEST_DEVICE=cuda pytest``) runs the whole suite with CUDA as
tinynn's default device: every tensor and layer a test creates lives on the GPU (CuPy), so the
gradchecks, PyTorch-parity and training tests check the GPU backend; the tests' assertions read
results on the host. Without CuPy and a GPU those runs skip cleanly, with the reason.
"""
import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser):
    parser.addoption("--device", choices=("cpu", "cuda"), default=os.environ.get("TINYNN_TEST_DEVICE", "cpu"),
                     help="tinynn's default device for the run (env TINYNN_TEST_DEVICE): cpu or cuda")


def pytest_configure(config):
    config.addinivalue_line("markers", "cpu_only: a test of CPU-specific behaviour, not run with --device cuda")
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU with CuPy (skips without one)")
    if config.getoption("--device") == "cuda":
        import tinynn

        if tinynn.cuda.is_available():
            from tests import device_run

            device_run.start()


def pytest_collection_modifyitems(config, items):
    import tinynn

    device = config.getoption("--device")
    if device == "cuda" and not tinynn.cuda.is_available():
        skip = pytest.mark.skip(reason="--device cuda: CuPy with a CUDA GPU is not available here")
        for item in items:
            item.add_marker(skip)
        return
    if device == "cuda":
        skip = pytest.mark.skip(reason="CPU-specific test (the --device cuda run checks the GPU backend)")
        for item in items:
            if item.get_closest_marker("cpu_only"):
                item.add_marker(skip)
    elif not tinynn.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy (pip install 'tinynn-edu[gpu]')")
        for item in items:
            if item.get_closest_marker("cuda"):
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """One line per skip reason with its count, instead of a line per skipped test location."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    terminalreporter.section("skipped, by reason")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count:6d}  {reason}")
