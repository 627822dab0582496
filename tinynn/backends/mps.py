"""``torch.backends.mps``: Apple's Metal backend. tinynn has none (NumPy on the CPU, CuPy on CUDA)."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
