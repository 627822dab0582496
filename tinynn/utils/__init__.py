"""Utilities that are not part of the model: ``tinynn.utils.data`` (datasets and loaders) and
``tinynn.utils.checkpoint`` (recomputing a segment in backward to save memory)."""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]
