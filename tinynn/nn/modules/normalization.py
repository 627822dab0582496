"""``torch.nn.modules.normalization``."""
from ..normalization import GroupNorm, LayerNorm  # noqa: F401
