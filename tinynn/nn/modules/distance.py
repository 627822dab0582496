"""``torch.nn.modules.distance``."""
from ..distance import *  # noqa: F401,F403
