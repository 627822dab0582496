# Exercise 16, generated from tinynn/exercises/source/e16_residual_block.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e16_residual_block.py my_e16_residual_block.py
#     python -m tinynn.exercises check 16 my_e16_residual_block.py
"""Exercise 16: a residual block (ResNet's basic block), with a projection when the shape changes.

A plain stack of layers must learn the whole map H(x). A residual block learns only a correction
F(x) and adds the input back (He et al. 2015):

    F(x) = bn2(conv2(relu(bn1(conv1(x)))))          conv1: 3 x 3, stride s;  conv2: 3 x 3, stride 1
    y    = relu(F(x) + shortcut(x))                  the relu comes after the addition

Both convolutions have padding 1, so a 3 x 3 kernel keeps the size at stride 1, and no bias: the
batch norm right after each of them subtracts the per-channel mean, which would cancel a bias.

Shapes: x (N, C_in, H, W) -> y (N, C_out, H', W') with H' = (H - 1) // s + 1 (H = 7, s = 2 gives 4).
When C_in = C_out and s = 1, F(x) has x's shape and the shortcut is the identity. Otherwise x must
be brought to F(x)'s shape: the shortcut is a *projection*, a 1 x 1 convolution C_in -> C_out with
the same stride s (no padding, no bias) followed by its own batch norm.

Why it trains: dy/dx = relu'(.) * (dF/dx + dshortcut/dx). With the identity shortcut the second
term is the identity matrix, so the gradient reaches x even when F's layers pass almost nothing
back: a deep stack of blocks keeps its gradients where a plain stack loses them (lesson 9 measures
this). Set conv2's weight to zero and F(x) is constant, y = relu(x + bias of bn2), and the gradient
of x is exactly upstream * (x + bn2.bias > 0): all of it through the skip.

You write ``ResidualBlock(in_channels, out_channels, stride=1)``, an ``nn.Module`` built from
tinynn's ``nn.Conv2d``, ``nn.BatchNorm2d``, ``nn.Identity`` and ``nn.Sequential``, with exactly
these attribute names (the grader loads its weights into your block by them):

    conv1  nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
    bn1    nn.BatchNorm2d(out_channels)
    conv2  nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
    bn2    nn.BatchNorm2d(out_channels)
    shortcut  nn.Identity(), or nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride,
              bias=False), nn.BatchNorm2d(out_channels)) when the channels or the stride change

  1. ``__init__``: make the layers above.
  2. ``forward(x)``: y = relu(F(x) + shortcut(x)) (``tinynn.relu`` or ``.relu()``).

The grader checks the layers' shapes, strides and biases, the output and the batch norms' running
statistics against a reference block holding the same weights (in training and in eval mode,
identity and projection shortcuts, stride 2 on an odd size, a batch of 1), the gradients of x and
of every parameter, and that the gradient flows through the skip connection.
"""
from __future__ import annotations

import tinynn
import tinynn.nn as nn

LESSON = 9
FORBIDDEN = []   # the block is wiring: tinynn's convolution and batch norm are yours to use here


class ResidualBlock(nn.Module):
    """y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).  x: (N, C_in, H, W) -> (N, C_out, H', W')."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        raise NotImplementedError("exercise 16: ResidualBlock.__init__")

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """The correction F(x) plus the shortcut, then the relu."""
        raise NotImplementedError("exercise 16: ResidualBlock.forward")
