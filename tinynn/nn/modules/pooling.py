"""``torch.nn.modules.pooling``."""
from ..pooling import *  # noqa: F401,F403
from ..lp_pool import *  # noqa: F401,F403
from ..fractional_pool import *  # noqa: F401,F403
