"""``torch.nn.modules.fold``."""
from ..fold import *  # noqa: F401,F403
