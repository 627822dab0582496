"""``torch.backends.cpu``: what the CPU can do."""


def get_cpu_capability() -> str:
    """The SIMD level NumPy was built for and found on this CPU (e.g. "AVX2"), "DEFAULT" if unknown."""
    import numpy as np

    try:
        features = np._core._multiarray_umath.__cpu_features__
    except AttributeError:
        return "DEFAULT"
    for level in ("AVX512_SKX", "AVX512F", "AVX2", "ASIMD", "NEON", "SSE42"):
        if features.get(level):
            return {"AVX512_SKX": "AVX512", "AVX512F": "AVX512"}.get(level, level)
    return "DEFAULT"
