"""Pictures for learning: the computation graph behind a tensor (``to_dot``, ``draw_graph``).

``import tinynn.viz`` needs nothing beyond tinynn's own dependencies: DOT text is plain text, and
``draw_graph`` uses matplotlib alone (no Graphviz), imported only when it is called.
"""
from .graph import extract_graph, to_dot  # noqa: F401
from .graph_drawing import draw_graph, layered_layout  # noqa: F401

# plots used by the lessons (each returns a matplotlib Figure and can save it to a path)
from .curves import *  # noqa: F401,F403,E402
from .boundary import *  # noqa: F401,F403,E402
from .functions import *  # noqa: F401,F403,E402
from .images import *  # noqa: F401,F403,E402
from .attention import *  # noqa: F401,F403,E402
from .gradients import *  # noqa: F401,F403,E402
from .trajectories import *  # noqa: F401,F403,E402
from .generative import *  # noqa: F401,F403,E402
from .beyond_attention import *  # noqa: F401,F403,E402
