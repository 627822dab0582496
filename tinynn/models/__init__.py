"""Ready-made models built from tinynn.nn.

    gpt.py         GPTConfig, GPT: a GPT-2 style decoder-only transformer (nanoGPT's layout and names)
    generation.py  KVCache and GPT.generate: autoregressive decoding with a key-value cache
    sampling.py    the decoding steps: temperature, top-k, top-p, repetition penalty, sampling
"""
from .generation import *  # noqa: F401,F403
from .gpt import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from . import generation, gpt, sampling  # noqa: F401

__all__ = generation.__all__ + gpt.__all__ + sampling.__all__
