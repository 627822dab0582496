"""tinynn.nn.functional (``F``): the layers as functions of tensors and weights, PyTorch's names."""
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .loss_margin import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .rms_norm import *  # noqa: F401,F403
from .local_response_norm import *  # noqa: F401,F403
from .lp_pool import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403
from .channel_shuffle import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403
from ...ops.distances import pdist  # noqa: F401,E402  (F.pdist is torch.pdist)
from .stochastic import *  # noqa: F401,F403  (rrelu, gumbel_softmax)
