"""``torch.nn.modules.batchnorm``."""
from ..normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _NormBase  # noqa: F401
from ..sync_batchnorm import SyncBatchNorm  # noqa: F401
