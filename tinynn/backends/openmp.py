"""``torch.backends.openmp``: tinynn has no OpenMP parallel loops of its own (NumPy's BLAS may use threads)."""


def is_available() -> bool:
    return False
