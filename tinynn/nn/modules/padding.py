"""``torch.nn.modules.padding``."""
from ..padding import *  # noqa: F401,F403
