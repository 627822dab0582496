"""tinynn's differentiable operations, grouped by kind; each op's forward and backward sit together.

``arithmetic``  + - * / ** maximum clamp ...      ``unary``     exp log sqrt tanh sigmoid erf ...
``reduce``      sum mean max var softmax ...      ``shape``     reshape view permute expand ...
``join``        cat stack split chunk unbind      ``rearrange`` repeat flip roll triu pad
``indexing``    x[i] gather scatter where         ``sorting``   sort argsort topk kthvalue
``linalg``      matmul einsum outer               ``convert``   clone, dtype and device casts
``compare``     == < isnan any all (no gradient)
"""
from .arithmetic import *  # noqa: F401,F403
from .minmax import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .convert import clone, to_device, to_dtype  # noqa: F401
from .indexing import *  # noqa: F401,F403
from .join import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .rearrange import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .unary import *  # noqa: F401,F403
from . import methods  # noqa: F401  (attaches the Tensor methods and operators)
