"""``tinynn.backends``: the switches PyTorch programs set for its compute libraries (``torch.backends``).

tinynn computes with NumPy on the CPU and CuPy on a GPU; it never calls cuDNN, MKL-DNN or Apple's
MPS. The switches exist so that programs that set them (``torch.backends.cudnn.benchmark = True``
is in most training scripts) run unchanged; each module says what its switches mean here. Reading
them back gives what was set, as in PyTorch.
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
