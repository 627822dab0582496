"""``torch.nn.modules.lazy``."""
from ..lazy import *  # noqa: F401,F403
from ..lazy import LazyModuleMixin  # noqa: F401
