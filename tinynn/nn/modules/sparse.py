"""``torch.nn.modules.sparse`` (PyTorch's Embedding lives here)."""
from ..embedding import *  # noqa: F401,F403
from ..embedding_bag import *  # noqa: F401,F403
