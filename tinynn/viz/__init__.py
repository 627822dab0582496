"""Pictures for learning: the computation graph behind a tensor (``to_dot``, ``draw_graph``).

``import tinynn.viz`` needs nothing beyond tinynn's own dependencies: DOT text is plain text, and
``draw_graph`` uses matplotlib alone (no Graphviz), imported only when it is called.
"""
from .graph import extract_graph, to_dot  # noqa: F401
from .graph_drawing import draw_graph, layered_layout  # noqa: F401
