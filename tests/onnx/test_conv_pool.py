"""Convolutions and pools exported and run in ONNX Runtime (strides, padding, dilation, groups, ceil_mode...)."""
from __future__ import annotations

import pytest

import tinynn
from tinynn import nn

from .helpers import assert_exports, randn

CONV2D = {
    "Conv2d(3,8,3)": dict(in_channels=3, out_channels=8, kernel_size=3),
    "Conv2d stride2 pad1": dict(in_channels=3, out_channels=6, kernel_size=3, stride=2, padding=1),
    "Conv2d dilation2 groups3 no bias": dict(in_channels=3, out_channels=6, kernel_size=3, dilation=2, groups=3,
                                             bias=False),
    "Conv2d padding=same k4": dict(in_channels=3, out_channels=4, kernel_size=4, padding="same"),
    "Conv2d (2,3) kernel, (1,2) stride": dict(in_channels=3, out_channels=4, kernel_size=(2, 3), stride=(1, 2),
                                              padding=(1, 0)),
}


@pytest.mark.parametrize("name", sorted(CONV2D))
def test_conv2d(name):
    tinynn.manual_seed(0)
    model = nn.Conv2d(**CONV2D[name]).eval()
    assert_exports(name, model, (randn(2, 3, 9, 10),), more=[randn(5, 3, 9, 10, seed=1)],
                   input_names=["x"], dynamic_axes={"x": [0]})


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=2, dilation=2), dict(groups=2, bias=False),
                                     dict(padding="same", kernel_size=4)])
def test_conv1d(options):
    tinynn.manual_seed(0)
    model = nn.Conv1d(4, 6, **{"kernel_size": 3, **options}).eval()
    assert_exports(f"Conv1d {options}", model, (randn(3, 4, 11),))


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1, output_padding=1),
                                     dict(stride=2, dilation=2, groups=2, bias=False), dict(stride=(2, 1), padding=(0, 1))])
def test_conv_transpose2d(options):
    tinynn.manual_seed(0)
    model = nn.ConvTranspose2d(4, 6, 3, **options).eval()
    assert_exports(f"ConvTranspose2d {options}", model, (randn(2, 4, 5, 6),))


POOLS = {
    "MaxPool2d(2)": lambda: nn.MaxPool2d(2),
    "MaxPool2d(3,2,1,ceil)": lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
    "MaxPool2d(3,1,dilation2)": lambda: nn.MaxPool2d(3, 1, dilation=2),
    "MaxPool1d(3,2,1)": lambda: nn.MaxPool1d(3, 2, 1),
    "AvgPool2d(2)": lambda: nn.AvgPool2d(2),
    "AvgPool2d(3,2,1)": lambda: nn.AvgPool2d(3, 2, 1),
    "AvgPool2d(3,2,1,no pad count)": lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
    "AvgPool2d(3,2,1,ceil)": lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True),
    "AvgPool2d(3,2,1,ceil,no pad count)": lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    "AvgPool1d(3,2,1)": lambda: nn.AvgPool1d(3, 2, 1),
    "AvgPool1d(4,3,ceil,no pad count)": lambda: nn.AvgPool1d(4, 3, 1, ceil_mode=True, count_include_pad=False),
    "AdaptiveAvgPool2d(1)": lambda: nn.AdaptiveAvgPool2d(1),
    "AdaptiveAvgPool2d((3,4)) uneven": lambda: nn.AdaptiveAvgPool2d((3, 4)),
    "AdaptiveAvgPool1d(3) uneven": lambda: nn.AdaptiveAvgPool1d(3),
    "AdaptiveMaxPool2d((4,5)) divisor": lambda: nn.AdaptiveMaxPool2d((4, 5)),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_pool(name):
    shape = (2, 3, 11) if "1d" in name else (2, 3, 8, 10)
    assert_exports(name, POOLS[name]().eval(), (randn(*shape),))


def test_adaptive_max_pool_uneven_windows_error_names_module():
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.AdaptiveMaxPool2d(3)).eval()
    with pytest.raises(tinynn.onnx.ExportError, match=r"module '1' \(AdaptiveMaxPool2d\).*varying size.*divide"):
        tinynn.onnx.export(model, (randn(1, 3, 8, 8),), None)


def test_cnn_with_flatten_runs_at_another_batch_size():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 10)).eval()
    assert_exports("CNN (Conv, BN, ReLU, MaxPool, Flatten, Linear), dynamic batch", model, (randn(3, 1, 8, 8),),
                   more=[randn(7, 1, 8, 8, seed=2), randn(1, 1, 8, 8, seed=3)], input_names=["image"],
                   dynamic_axes={"image": {0: "batch"}})
