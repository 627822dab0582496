"""``torch.backends.mkldnn``: Intel's oneDNN. tinynn's CPU arithmetic is NumPy's (with its BLAS)."""
enabled = True


def is_available() -> bool:
    return False
