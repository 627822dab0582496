"""Exercise 11: weight initialisation: fan in and fan out, gains, Xavier and Kaiming (PyTorch's formulas).

Why the scale of the first weights matters. A layer y = W x sums fan_in products; with independent,
zero-mean weights and inputs,

    Var(y_j) = sum_i Var(W_ji) Var(x_i) = fan_in * Var(W) * Var(x).

If fan_in * Var(W) is 2, the signal doubles in variance at every layer (20 layers: a million
times); if it is 1/2, it fades away just as fast. Backward, the gradient dL/dx = W^T dL/dy sums
fan_out products, so Var(dL/dx) = fan_out * Var(W) * Var(dL/dy). The two initialisations:

    Xavier (Glorot & Bengio, 2010):  Var(W) = gain^2 * 2 / (fan_in + fan_out)   (a compromise between
                                     keeping the forward signal, 1/fan_in, and the gradient, 1/fan_out)
    Kaiming (He et al., 2015):       Var(W) = gain^2 / fan     (fan = fan_in, or fan_out with mode="fan_out")

The fans of a weight tensor, PyTorch's rule (the weight of nn.Linear is (out, in); a convolution's
is (out, in, *kernel), and each output sees in * kernel_size inputs, its receptive field):

    weight (out, in):            fan_in = in,                   fan_out = out
    weight (out, in, k1, k2):    fan_in = in * k1 * k2,         fan_out = out * k1 * k2
    e.g. Linear(512 -> 256): (256, 512) -> (512, 256);  Conv2d 32 -> 64, 3x3: (64, 32, 3, 3) -> (288, 576)

A tensor with fewer than 2 dimensions has no fans: raise ValueError.

The gain corrects for what the nonlinearity after the layer does to the variance. ReLU zeroes the
negative half of a symmetric y, so E[relu(y)^2] = Var(y) / 2: to keep the signal, Var(W) needs a
factor 2, the gain is sqrt(2). Leaky ReLU with negative slope a keeps a^2 of the negative half:
E[f(y)^2] = (1 + a^2) Var(y) / 2, gain sqrt(2 / (1 + a^2)).

    calculate_gain:   "linear", "sigmoid", "conv1d", "conv2d", "conv3d" -> 1
                      "tanh" -> 5/3     "relu" -> sqrt(2)
                      "leaky_relu" -> sqrt(2 / (1 + a^2)), a = param, or 0.01 when param is None
                      (careful: param = 0 is a slope of 0, not "no slope given")
                      anything else -> ValueError

Uniform or normal with that variance. U(-b, b) has variance b^2 / 3, so b = sqrt(3) * std:

    xavier_uniform_:  U(-b, b),  b = gain * sqrt(6 / (fan_in + fan_out))
    kaiming_uniform_: U(-b, b),  b = gain * sqrt(3 / fan),  gain = calculate_gain(nonlinearity, a)
    kaiming_normal_:  N(0, std^2),  std = gain / sqrt(fan)

For Linear(512 -> 256): xavier_uniform_ b = sqrt(6 / 768) = 0.0884; kaiming_normal_ with relu
std = sqrt(2) / sqrt(512) = 0.0625. (nn.Linear itself uses kaiming_uniform_ with a = sqrt(5):
gain sqrt(1/3), so b = 1 / sqrt(fan_in).)

Each ``*_`` function fills the tensor IN PLACE (the trailing underscore says so, as in PyTorch) and
returns it. Draw the numbers with ``t.uniform_(-b, b, generator=generator)`` or
``t.normal_(0.0, std, generator=generator)`` inside ``with tinynn.no_grad():`` (the tensor is often
an nn.Parameter that requires grad; filling it is not part of any computation). Drawing from the
``generator`` argument makes the result repeatable: the same seed, the same weights, and the same
numbers as the library's ``tinynn.nn.init`` (tinynn/nn/init.py).

The grader checks the fans and gains, then fills large tensors and checks the samples: within the
bounds, mean near 0 and standard deviation near the formula's (to within what a sample of that size
allows), and that a seeded generator repeats the library's numbers.
"""
from __future__ import annotations

import math

import tinynn

LESSON = 7
FORBIDDEN = ["tinynn.nn.init.xavier_uniform_", "tinynn.nn.init.xavier_normal_", "tinynn.nn.init.kaiming_uniform_",
             "tinynn.nn.init.kaiming_normal_", "tinynn.nn.init.calculate_gain",
             "tinynn.nn.init._calculate_fan_in_and_fan_out"]
PARTS = {"init": ["calculate_fan_in_and_fan_out", "calculate_gain", "xavier_uniform_", "kaiming_uniform_",
                  "kaiming_normal_"]}


def calculate_fan_in_and_fan_out(t: tinynn.Tensor) -> tuple:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as Python ints."""
    # >>> solution
    if t.dim() < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tuple(t.shape)}")
    receptive_field = 1
    for size in t.shape[2:]:
        receptive_field *= size
    return t.shape[1] * receptive_field, t.shape[0] * receptive_field
    # <<< solution


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain of ``nonlinearity`` (the table in the module docstring)."""
    # >>> solution
    if nonlinearity in ("linear", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")
    # <<< solution


def xavier_uniform_(t: tinynn.Tensor, gain: float = 1.0, generator=None) -> tinynn.Tensor:
    """Fill ``t`` with U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)); return ``t``."""
    # >>> solution
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    with tinynn.no_grad():
        t.uniform_(-bound, bound, generator=generator)
    return t
    # <<< solution


def kaiming_uniform_(t: tinynn.Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> tinynn.Tensor:
    """Fill ``t`` with U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a); return ``t``."""
    # >>> solution
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std                # U(-b, b) has std b / sqrt(3)
    with tinynn.no_grad():
        t.uniform_(-bound, bound, generator=generator)
    return t
    # <<< solution


def kaiming_normal_(t: tinynn.Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> tinynn.Tensor:
    """Fill ``t`` with N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a); return ``t``."""
    # >>> solution
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with tinynn.no_grad():
        t.normal_(0.0, std, generator=generator)
    return t
    # <<< solution
