"""``torch.nn.modules.conv``."""
from ..conv import *  # noqa: F401,F403
from ..conv import _ConvNd, _ConvTransposeNd  # noqa: F401
from ..lazy import *  # noqa: F401,F403
