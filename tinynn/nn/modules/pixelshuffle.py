"""``torch.nn.modules.pixelshuffle``."""
from ..pixelshuffle import *  # noqa: F401,F403
