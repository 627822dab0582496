"""``torch.nn.modules.lazy``."""
from ..lazy import *  # noqa: F401,F403
