"""``tinynn.nn.modules``: PyTorch's module paths, for programs that import layers from them."""
import importlib

import pytest

import tinynn.nn as nn

PATHS = [
    ("module", "Module"), ("container", "Sequential"), ("container", "ModuleList"), ("linear", "Linear"),
    ("linear", "Identity"), ("flatten", "Flatten"), ("conv", "Conv2d"), ("conv", "_ConvNd"),
    ("conv", "ConvTranspose2d"), ("batchnorm", "_BatchNorm"), ("batchnorm", "BatchNorm2d"),
    ("instancenorm", "InstanceNorm2d"), ("normalization", "LayerNorm"), ("activation", "ReLU"),
    ("activation", "MultiheadAttention"), ("dropout", "Dropout"), ("pooling", "MaxPool2d"), ("loss", "_Loss"),
    ("loss", "CrossEntropyLoss"), ("rnn", "LSTM"), ("sparse", "Embedding"), ("transformer", "TransformerEncoderLayer"),
    ("transformer", "Transformer"), ("padding", "ReflectionPad2d"), ("pixelshuffle", "PixelShuffle"),
    ("upsampling", "Upsample"), ("fold", "Unfold"), ("distance", "CosineSimilarity"), ("lazy", "LazyLinear"),
]


@pytest.mark.parametrize("module, name", PATHS)
def test_pytorch_module_paths_resolve_to_tinynns_classes(module, name):
    found = getattr(importlib.import_module(f"tinynn.nn.modules.{module}"), name)
    assert isinstance(found, type) and found.__module__.startswith("tinynn.nn.")
    if not name.startswith("_"):                 # a public layer: the very class tinynn.nn has
        assert found is getattr(nn, name) and getattr(nn.modules, name) is found


def test_subclassing_a_private_base_and_the_tuple_helpers():
    from tinynn.nn.modules.utils import _pair, _quadruple, _single, _triple

    assert (_single(2), _pair(3), _triple((1, 2, 3)), _quadruple(0)) == ((2,), (3, 3), (1, 2, 3), (0, 0, 0, 0))
    assert issubclass(nn.modules.conv.Conv2d, nn.modules.conv._ConvNd)
    assert issubclass(nn.BatchNorm1d, nn.modules.batchnorm._BatchNorm)
