"""Utilities that are not part of the model: ``tinynn.utils.data`` (datasets and loaders) and
``tinynn.utils.checkpoint`` (recomputing a segment in backward to save memory)."""
from . import checkpoint, data
from . import model_zoo  # noqa: F401  (torch.utils.model_zoo.load_url: tinynn.hub's loader)

__all__ = ["checkpoint", "data", "model_zoo"]
