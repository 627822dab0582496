"""``torch.nn.modules``: PyTorch's file layout for its layers, for programs that import from it.

``from torch.nn.modules.conv import _ConvNd``, ``torch.nn.modules.batchnorm._BatchNorm`` and
``from torch.nn.modules.module import Module`` appear in real code (custom layers subclass the
private bases; ``isinstance`` checks use them). Each submodule here re-exports tinynn's classes
under the name of PyTorch's file; the classes themselves live in tinynn/nn/*.py.
"""
from .. import *  # noqa: F401,F403
from . import (  # noqa: F401
    activation, adaptive, batchnorm, channelshuffle, container, conv, distance, dropout, flatten, fold, instancenorm,
    lazy, linear, loss, module, normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer, upsampling,
    utils,
)
