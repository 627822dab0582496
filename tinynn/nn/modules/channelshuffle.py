"""``torch.nn.modules.channelshuffle``."""
from ..channelshuffle import ChannelShuffle  # noqa: F401
