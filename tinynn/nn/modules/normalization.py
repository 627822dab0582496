"""``torch.nn.modules.normalization``."""
from ..normalization import GroupNorm, LayerNorm  # noqa: F401
from ..local_response_norm import CrossMapLRN2d, LocalResponseNorm  # noqa: F401
from ..rms_norm import RMSNorm  # noqa: F401
