"""Process-wide settings (tinynn/settings.py) and the compute-library switches (tinynn/backends/)."""
import warnings

import pytest

import tinynn
import tinynn.settings as settings


def test_compile_returns_its_argument_and_says_so_once(monkeypatch):
    monkeypatch.setattr(settings, "_compile_notice_given", False)
    model = tinynn.nn.Linear(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tinynn.compile(model) is model
        assert tinynn.compile(model, mode="reduce-overhead", fullgraph=True) is model

        @tinynn.compile
        def double(x):
            return 2 * x

        @tinynn.compile(dynamic=True)
        def triple(x):
            return 3 * x

    assert double(2) == 4 and triple(2) == 6
    assert [str(w.message) for w in caught] == ["tinynn.compile: tinynn has no compiler; the model runs eagerly, unchanged"]
    with pytest.raises(TypeError, match="module or a function"):
        tinynn.compile(3)


def test_determinism_and_matmul_precision_are_recorded_and_checked():
    tinynn.use_deterministic_algorithms(True, warn_only=True)
    assert tinynn.are_deterministic_algorithms_enabled() and tinynn.is_deterministic_algorithms_warn_only_enabled()
    tinynn.use_deterministic_algorithms(False)
    assert not tinynn.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError, match="bool"):
        tinynn.use_deterministic_algorithms("yes")
    tinynn.set_float32_matmul_precision("high")
    assert tinynn.get_float32_matmul_precision() == "high"
    tinynn.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="'highest', 'high' or 'medium'"):
        tinynn.set_float32_matmul_precision("low")


@pytest.fixture
def blas_restored(monkeypatch):
    """Give back NumPy's BLAS threads and tinynn's thread policy as they were."""
    from tinynn import threads

    before = threads.blas_threads()
    monkeypatch.setattr(threads.policy, "active", threads.policy.active)
    monkeypatch.setattr(threads.policy, "next_check", threads.policy.next_check)
    monkeypatch.setitem(settings._threads, "intra", None)
    yield threads
    if before is not None:
        threads.set_blas_threads(before)


def test_thread_counts(blas_restored):
    assert tinynn.get_num_threads() >= 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # where NumPy's BLAS is not found, its threads stay as they are
        tinynn.set_num_threads(1)
    assert tinynn.get_num_threads() == 1
    if blas_restored.blas_info() is not None:
        assert blas_restored.blas_threads() == 1            # the BLAS library itself now runs on one thread
    assert blas_restored.policy.active is False             # and tinynn no longer adapts it
    with pytest.raises(RuntimeError, match="positive"):
        tinynn.set_num_threads(0)
    tinynn.set_num_interop_threads(2)
    assert tinynn.get_num_interop_threads() == 2


def test_backend_switches_programs_set():
    import tinynn.backends.cudnn as cudnn

    tinynn.backends.cudnn.benchmark = True
    assert cudnn.benchmark is True
    tinynn.backends.cudnn.benchmark = False
    assert tinynn.backends.cudnn.is_available() is False and tinynn.backends.mps.is_available() is False
    assert tinynn.backends.cuda.matmul.allow_tf32 is False
    tinynn.backends.cuda.enable_flash_sdp(False)
    assert not tinynn.backends.cuda.flash_sdp_enabled()
    tinynn.backends.cuda.enable_flash_sdp(True)
    assert isinstance(tinynn.backends.cpu.get_cpu_capability(), str)


def test_onnx_imports_without_exporting():
    import tinynn.onnx

    assert tinynn.onnx.is_in_onnx_export() is False   # the export itself is tested in tests/onnx
