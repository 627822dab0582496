"""``torch.nn.modules.transformer``."""
from ..transformer import *  # noqa: F401,F403
from ..transformer_decoder import *  # noqa: F401,F403
