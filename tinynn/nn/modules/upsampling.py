"""``torch.nn.modules.upsampling``."""
from ..upsampling import *  # noqa: F401,F403
