"""``torch.backends.cudnn``: tinynn's GPU convolutions are im2col products on CuPy, not cuDNN calls.

So there is no cuDNN autotuner for ``benchmark`` to switch on, and tinynn's convolutions are
deterministic whatever ``deterministic`` says: the flags are kept (programs read them back) and do
not change any result. ``is_available()`` is False: tinynn does not use cuDNN.
"""
enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: tinynn does not call cuDNN (its GPU convolution is im2col and a CuPy matrix product)."""
    return False


def version():
    """None: no cuDNN is loaded by tinynn."""
    return None
