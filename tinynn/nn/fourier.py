"""Fourier features: let a coordinate network (an MLP from (x, y) to a colour) learn fine detail.

An MLP fed raw coordinates learns smooth functions first and high frequencies very slowly (the
"spectral bias"), so an image it fits comes out blurred. Mapping each coordinate v through
sinusoids of many frequencies first, gamma(v) = [cos(2 pi B v), sin(2 pi B v)], turns fitting
detail into fitting a linear combination of ready-made waves (Tancik et al., 2020, "Fourier
features let networks learn high frequency functions in low dimensional domains"). The same trick
is the positional encoding of neural radiance fields (NeRF, Mildenhall et al., 2020).

    FourierFeatures(in_features, num_frequencies, scale)    random Gaussian frequencies B
    FrequencyEncoding(in_features, num_frequencies)         NeRF's fixed octaves 2^k pi
"""
from __future__ import annotations

import math

from ..creation import empty
from ..ops.join import cat
from ..ops.trig import cos, sin
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["FourierFeatures", "FrequencyEncoding"]


class FourierFeatures(Module):
    """Random Fourier features: gamma(v) = [cos(2 pi v B^T), sin(2 pi v B^T)].

    B: (num_frequencies, in_features) with entries drawn from N(0, scale^2) once at construction.
    ``scale`` sets the bandwidth: too small and the fit stays blurry, too large and it turns noisy
    (the result overfits between the training pixels); Tancik et al. found about 10 good for images
    on [0, 1]^2. B is a buffer (saved in the state dict, not trained) unless ``learnable=True``.

    input: (*, in_features) -> output: (*, 2 * num_frequencies), cosines first.
    """

    def __init__(self, in_features: int, num_frequencies: int, scale: float = 10.0, learnable: bool = False,
                 device=None, dtype=None):
        super().__init__()
        if in_features < 1 or num_frequencies < 1:
            raise ValueError(f"FourierFeatures: in_features and num_frequencies must be positive, got "
                             f"{in_features} and {num_frequencies}")
        if scale <= 0:
            raise ValueError(f"FourierFeatures: scale must be positive, got {scale}")
        self.in_features, self.num_frequencies = in_features, num_frequencies
        self.scale, self.learnable = scale, learnable
        self.out_features = 2 * num_frequencies
        B = empty(num_frequencies, in_features)
        init.normal_(B, 0.0, scale)
        if learnable:
            self.B = Parameter(B)
        else:
            self.register_buffer("B", B)
        self.to(device=device, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() < 1 or input.shape[-1] != self.in_features:
            raise ValueError(f"FourierFeatures: expected input (*, {self.in_features}), got {tuple(input.shape)}")
        angles = (2 * math.pi) * (input @ self.B.mT.to(input.dtype))   # (*, num_frequencies)
        return cat([cos(angles), sin(angles)], -1)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, num_frequencies={self.num_frequencies}, scale={self.scale}, "
                f"learnable={self.learnable}")


class FrequencyEncoding(Module):
    """NeRF's positional encoding: each coordinate p through sines and cosines of octave frequencies.

        gamma(p) = (p, sin(2^0 pi p), cos(2^0 pi p), ..., sin(2^(L-1) pi p), cos(2^(L-1) pi p))

    with L = num_frequencies, applied to each of the in_features coordinates. With
    ``log_sampling=False`` the frequencies are spaced linearly from 2^0 to 2^(L-1) instead.
    ``include_input`` keeps p itself in front (as NeRF's code does). Deterministic: no weights.

    input: (*, in_features) -> output: (*, out_features), out_features = in_features * (2L + 1)
    (2L without the input), laid out as [p, sin(f_0 p), cos(f_0 p), sin(f_1 p), ...].
    """

    def __init__(self, in_features: int, num_frequencies: int, include_input: bool = True,
                 log_sampling: bool = True):
        super().__init__()
        if in_features < 1 or num_frequencies < 1:
            raise ValueError(f"FrequencyEncoding: in_features and num_frequencies must be positive, got "
                             f"{in_features} and {num_frequencies}")
        self.in_features, self.num_frequencies = in_features, num_frequencies
        self.include_input, self.log_sampling = include_input, log_sampling
        top = 2.0 ** (num_frequencies - 1)
        if log_sampling:
            self.frequencies = [2.0 ** k for k in range(num_frequencies)]
        else:
            self.frequencies = [1.0 + (top - 1.0) * k / max(num_frequencies - 1, 1) for k in range(num_frequencies)]
        self.out_features = in_features * (2 * num_frequencies + (1 if include_input else 0))

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() < 1 or input.shape[-1] != self.in_features:
            raise ValueError(f"FrequencyEncoding: expected input (*, {self.in_features}), got {tuple(input.shape)}")
        parts = [input] if self.include_input else []
        for f in self.frequencies:
            angle = (math.pi * f) * input
            parts += [sin(angle), cos(angle)]
        return cat(parts, -1)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, num_frequencies={self.num_frequencies}, "
                f"include_input={self.include_input}, log_sampling={self.log_sampling}")
