"""``torch.nn.modules.activation`` (PyTorch keeps MultiheadAttention here too)."""
from ..activation import *  # noqa: F401,F403
from ..attention import MultiheadAttention  # noqa: F401
