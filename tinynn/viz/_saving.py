"""Where every plot in tinynn.viz writes its figure: one resolution and cropping for all."""
from __future__ import annotations


def save_figure(fig, path=None):
    """Write ``fig`` to ``path`` (PNG, 100 dpi, cropped to what is drawn) when a path is given; return fig."""
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    return fig
