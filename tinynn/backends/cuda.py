"""``torch.backends.cuda``: switches for matrix products and attention kernels on the GPU.

tinynn's GPU matrix products are CuPy's (cuBLAS) in the dtype of the operands, without TF32, so
``matmul.allow_tf32`` is False by default as in PyTorch and setting it does not change tinynn's
numbers. ``scaled_dot_product_attention`` has one implementation (the "math" one), so the
flash / memory-efficient switches are recorded and read back but choose nothing.
"""
from __future__ import annotations


class _MatmulSettings:
    """``torch.backends.cuda.matmul``: allow_tf32, allow_fp16/bf16 reduced-precision reductions."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self) -> str:
        return f"<torch.backends.cuda.matmul allow_tf32={self.allow_tf32}>"


matmul = _MatmulSettings()
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """Whether tinynn can run on CUDA at all: CuPy with a visible GPU."""
    from .. import cuda

    return cuda.is_available()


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]
