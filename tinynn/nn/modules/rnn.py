"""``torch.nn.modules.rnn``."""
from ..recurrent import *  # noqa: F401,F403
