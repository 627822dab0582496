"""tinynn.nn.utils: gradient clipping, parameter/vector conversion, ``rnn`` (packed sequences),
weight and spectral normalization, ``parametrize``/``parametrizations``, conv/linear + batch-norm
fusion, and ``stateless.functional_call``."""
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
from . import rnn  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights  # noqa: F401
from .init import skip_init  # noqa: F401
from . import fusion, parametrizations, parametrize, stateless  # noqa: F401
