"""``torch.nn.modules.container``."""
from ..containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from ..parameter_containers import ParameterDict, ParameterList  # noqa: F401
