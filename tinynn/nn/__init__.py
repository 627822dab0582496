"""tinynn.nn: modules (layers, losses, containers), ``functional``, ``init`` and ``utils``.

Where each layer lives (one file per family, named as PyTorch's docs group them):
``module`` Module (with ``module_convert`` .to()/.float()/... and ``module_state`` state_dict) -
``parameter`` Parameter - ``containers`` Sequential, ModuleList, ModuleDict -
``parameter_containers`` ParameterList, ParameterDict -
``linear`` Linear, Bilinear, Identity, Flatten - ``embedding`` Embedding - ``dropout`` -
``activation`` - ``conv`` - ``pooling`` - ``normalization`` BatchNorm, LayerNorm, GroupNorm -
``loss`` - ``recurrent`` RNN, LSTM, GRU and their cells - ``attention`` MultiheadAttention -
``transformer`` TransformerEncoderLayer, TransformerEncoder -
``transformer_decoder`` TransformerDecoderLayer, TransformerDecoder, Transformer -
``padding`` ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad - ``upsampling`` Upsample -
``pixelshuffle`` PixelShuffle, PixelUnshuffle - ``fold`` Fold, Unfold -
``distance`` CosineSimilarity, PairwiseDistance - ``lazy`` LazyLinear, LazyConv*, LazyBatchNorm*, LazyInstanceNorm* -
``rms_norm`` RMSNorm - ``local_response_norm`` LocalResponseNorm, CrossMapLRN2d - ``sync_batchnorm`` SyncBatchNorm -
``lp_pool`` LPPool1d/2d/3d - ``fractional_pool`` FractionalMaxPool2d/3d - ``channelshuffle`` ChannelShuffle -
``embedding_bag`` EmbeddingBag - ``adaptive`` AdaptiveLogSoftmaxWithLoss (Softmax2d is in ``activation``) -
``lora`` apply_lora and the whole-model LoRA functions, ``lora_layers`` LoRALinear, LoRAMultiheadAttention -
``ssm`` linear_scan, DiagonalSSM, SelectiveSSM - ``gnn`` GCNConv and the graph layers.
"""
from .module import Module  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from .containers import *  # noqa: F401,F403
from .parameter_containers import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .transformer_decoder import *  # noqa: F401,F403
from .lora import *  # noqa: F401,F403
from .ssm import *  # noqa: F401,F403
from .gnn import *  # noqa: F401,F403
from .fourier import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .rms_norm import *  # noqa: F401,F403
from .local_response_norm import *  # noqa: F401,F403
from .sync_batchnorm import *  # noqa: F401,F403
from .lp_pool import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from . import functional, init, parallel, utils  # noqa: F401,E402
from .parallel import DataParallel  # noqa: F401,E402
from . import modules  # noqa: F401,E402  (torch.nn.modules.*: PyTorch's file layout, re-exported)
