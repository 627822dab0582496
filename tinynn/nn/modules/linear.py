"""``torch.nn.modules.linear``."""
from ..lazy import LazyLinear  # noqa: F401
from ..linear import Bilinear, Identity, Linear  # noqa: F401
