"""Every activation module of tinynn.nn, exported inside a small MLP and run in ONNX Runtime."""
from __future__ import annotations

import pytest

import tinynn
from tinynn import nn

from .helpers import assert_exports, randn

ACTIVATIONS = {
    "ReLU": lambda: nn.ReLU(),
    "LeakyReLU": lambda: nn.LeakyReLU(0.2),
    "PReLU(1)": lambda: nn.PReLU(),
    "PReLU(16)": lambda: nn.PReLU(16, init=0.1),
    "RReLU(eval)": lambda: nn.RReLU(0.1, 0.3),
    "ELU": lambda: nn.ELU(0.7),
    "SELU": lambda: nn.SELU(),
    "CELU": lambda: nn.CELU(1.5),
    "GELU(none)": lambda: nn.GELU(),
    "GELU(tanh)": lambda: nn.GELU(approximate="tanh"),
    "SiLU": lambda: nn.SiLU(),
    "Mish": lambda: nn.Mish(),
    "Sigmoid": lambda: nn.Sigmoid(),
    "Tanh": lambda: nn.Tanh(),
    "Softplus": lambda: nn.Softplus(),
    "Softplus(beta=2,threshold=1)": lambda: nn.Softplus(beta=2.0, threshold=1.0),
    "Softsign": lambda: nn.Softsign(),
    "Hardtanh": lambda: nn.Hardtanh(-0.5, 0.8),
    "ReLU6": lambda: nn.ReLU6(),
    "Hardsigmoid": lambda: nn.Hardsigmoid(),
    "Hardswish": lambda: nn.Hardswish(),
    "LogSigmoid": lambda: nn.LogSigmoid(),
    "Softmax": lambda: nn.Softmax(dim=1),
    "Softmin": lambda: nn.Softmin(dim=1),
    "LogSoftmax": lambda: nn.LogSoftmax(dim=-1),
    "Threshold": lambda: nn.Threshold(0.1, -2.0),
    "Tanhshrink": lambda: nn.Tanhshrink(),
    "Softshrink": lambda: nn.Softshrink(0.3),
    "Hardshrink": lambda: nn.Hardshrink(0.3),
    "GLU": lambda: nn.GLU(dim=-1),
}


def _mlp(activation: nn.Module) -> nn.Module:
    width_after = 8 if isinstance(activation, nn.GLU) else 16   # GLU halves its input
    tinynn.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), activation, nn.Linear(width_after, 4)).eval()


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_mlp_matches_runtime(name):
    model = _mlp(ACTIVATIONS[name]())
    x = randn(5, 6) * 3.0  # wide enough to reach every piece of the piecewise activations
    assert_exports(f"MLP + {name}", model, (x,), more=[randn(9, 6, seed=1) * 3.0],
                   input_names=["x"], dynamic_axes={"x": {0: "batch"}})


def test_every_activation_module_is_covered():
    from tinynn.nn import activation

    names = {n for n in dir(activation) if isinstance(getattr(activation, n), type)
             and issubclass(getattr(activation, n), nn.Module) and not n.startswith("_")
             and getattr(activation, n).__module__ == activation.__name__}
    covered = {n.split("(")[0] for n in ACTIVATIONS} | {"Softmax2d"}
    assert names - covered == set()


def test_softmax2d_matches_runtime():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Softmax2d()).eval()
    assert_exports("Conv2d + Softmax2d", model, (randn(2, 3, 6, 6),))
