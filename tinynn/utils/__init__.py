"""Utilities that are not part of the model: ``tinynn.utils.data`` (datasets and loaders)."""
from . import data

__all__ = ["data"]
