"""tinynn.nn.utils: gradient clipping, parameter/vector conversion, and ``rnn`` (packed sequences)."""
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
from . import rnn  # noqa: F401
