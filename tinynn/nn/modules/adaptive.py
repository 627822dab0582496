"""``torch.nn.modules.adaptive``."""
from ..adaptive import AdaptiveLogSoftmaxWithLoss, _ASMoutput  # noqa: F401
